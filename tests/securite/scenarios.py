"""Le tableau des scénarios : une entrée par URL nommée du projet (hors administration).

``tests/securite/test_parcours_urls.py`` vérifie que ce tableau et le résolveur d'URL ont
exactement les mêmes noms : une vue ajoutée sans scénario fait échouer la suite.

Les objets parcourus sont ceux de l'organisation du Nord (``m.nord``) ; les accès croisés
(``croises``) reprennent la même URL sur les objets de la Creuse (``m.creuse``) ou en mêlant les
identifiants des deux.

Pour une nouvelle vue : ajouter son nom ici avec ``du_porteur`` (pages des membres de
l'organisation), ``du_dossier`` (objet d'un dossier, lu par ``visible_to``) ou ``Scenario``
(``ok`` : rôles autorisés ; ``hors`` : rôles qui passent le contrôle de rôle sans voir l'objet ;
``methodes`` : GET et/ou POST ; ``public`` : page ouverte aux visiteurs ; ``htmx`` : fragment) ;
tout autre rôle connecté doit recevoir 403 ou 404. Un objet nouveau se crée dans ``monde.py``,
pour les deux organisations.
"""

from django.db.models import F

from dossiers.models import Dossier

from .monde import (
    ADMIN,
    AGENT,
    AGENT_CREUSE,
    AUTRE_PORTEUR,
    CONNECTES,
    PORTEUR,
    SECRETARIAT,
    SECRETARIAT_CREUSE,
)
from .parcours import GET, POST, Croise, Scenario

# Qui voit les objets du Nord, et qui passe le contrôle de rôle sans les voir.
VOIENT_LE_DOSSIER = (PORTEUR, AGENT, SECRETARIAT, ADMIN)
HORS_DU_DOSSIER = (AUTRE_PORTEUR, AGENT_CREUSE, SECRETARIAT_CREUSE)
CAF = (AGENT, AGENT_CREUSE, SECRETARIAT, SECRETARIAT_CREUSE, ADMIN)
CAF_DU_NORD = (AGENT, SECRETARIAT, ADMIN)
CAF_DE_LA_CREUSE = (AGENT_CREUSE, SECRETARIAT_CREUSE)
PORTEURS = (PORTEUR, AUTRE_PORTEUR)
AGENTS = (AGENT, AGENT_CREUSE)


def public(get: int, post: int) -> dict:
    return {GET: get, POST: post}


def du_porteur(kwargs, *, methodes=(GET, POST), htmx=(False,), autres=None, **extra) -> Scenario:
    """Page réservée aux membres de l'organisation (rôle porteur) : l'autre porteur reçoit 404,
    et le porteur du Nord aussi sur les mêmes objets de la Creuse."""
    croises = {"creuse": Croise(lambda m: kwargs(m.creuse))}
    croises.update(autres or {})
    return Scenario(
        kwargs=lambda m: kwargs(m.nord),
        ok=(PORTEUR,),
        hors=(AUTRE_PORTEUR,),
        methodes=methodes,
        htmx=htmx,
        croises=croises,
        **extra,
    )


def du_dossier(kwargs, *, ok=VOIENT_LE_DOSSIER, hors=HORS_DU_DOSSIER, autres=None, **extra):
    """Objet d'un dossier du Nord : ceux qui le voient, les autres (Creuse, autre porteur) : 404."""
    croises = {"creuse": Croise(lambda m: kwargs(m.creuse))}
    croises.update(autres or {})
    return Scenario(kwargs=lambda m: kwargs(m.nord), ok=ok, hors=hors, croises=croises, **extra)


def melange(kwargs) -> dict:
    """L'objet parent du Nord avec l'objet enfant de la Creuse : 404 pour tous."""
    return {"melange": Croise(kwargs, tous=True)}


def version_du_depose(m) -> dict:
    version = Dossier.objects.filter(pk=m.nord.depose.pk).values_list(F("version"), flat=True)
    return {"instruire-version": str(version.get())}


def perimetre_des_dossiers(m, role) -> tuple[list, list]:
    """Listes et exports : chacun voit ses organisations, jamais celles de l'autre département."""
    nord, creuse = m.nord.porteur.raison_sociale, m.creuse.porteur.raison_sociale
    if role in (PORTEUR, AGENT, SECRETARIAT):
        return [nord], [creuse]
    if role in (AUTRE_PORTEUR, AGENT_CREUSE, SECRETARIAT_CREUSE):
        return [creuse], [nord]
    return [nord, creuse], []


def perimetre_sans_presence(m, role) -> tuple[list, list]:
    """Comme ``perimetre_des_dossiers``, sans exiger la présence (page vide ou redirigée)."""
    return [], perimetre_des_dossiers(m, role)[1]


def tableau_bilan(code):
    return lambda m: {"departement": code, "annee": 2025}


BILAN_DU_NORD = {
    "ok": CAF_DU_NORD,
    "hors": CAF_DE_LA_CREUSE,
    "methodes": (GET,),
    "croises": {
        "creuse": Croise(tableau_bilan("23")),
        "national": Croise(tableau_bilan("national")),
    },
}


SCENARIOS: dict[str, Scenario] = {
    # --- comptes -------------------------------------------------------------------------------
    "accueil": Scenario(ok=CONNECTES),
    "connexion": Scenario(ok=CONNECTES, public=public(200, 200)),
    "deconnexion": Scenario(
        ok=CONNECTES, methodes=(POST,), public=public(405, 302), vers_connexion=True
    ),
    "mfa_configurer": Scenario(ok=CONNECTES),
    "mfa_verifier": Scenario(ok=CONNECTES),
    # « Mon compte » : chacun son propre compte (pas d'identifiant dans l'URL).
    "compte": Scenario(ok=CONNECTES, methodes=(GET,)),
    "compte_modifier": Scenario(ok=CONNECTES),
    "compte_mot_de_passe": Scenario(ok=CONNECTES),
    "compte_adresse": Scenario(ok=CONNECTES),
    # Jeton inconnu (ou fait pour un autre compte) : page « lien invalide » (400) pour chacun.
    "compte_adresse_confirmer": Scenario(kwargs=lambda m: {"jeton": "jeton-inconnu"}, ok=CONNECTES),
    "inscription": Scenario(ok=CONNECTES, public=public(200, 200)),
    "inscription_envoyee": Scenario(ok=CONNECTES, methodes=(GET,), public=public(200, 405)),
    "inscription_confirmer": Scenario(
        kwargs=lambda m: m.inscription, ok=CONNECTES, public=public(200, 302)
    ),
    "inscription_renvoyer": Scenario(ok=CONNECTES, public=public(200, 200)),
    # Le lien d'invitation : un visiteur, ou la personne invitée une fois connectée ; tout autre
    # compte connecté reçoit 403 (« cette invitation est adressée à quelqu'un d'autre »).
    "invitation": Scenario(
        kwargs=lambda m: {"jeton": m.nord.invitation.jeton},
        ok=(AUTRE_PORTEUR,),
        public=public(200, 302),
    ),
    "mot_de_passe_oublie": Scenario(ok=CONNECTES, public=public(200, 200)),
    "mot_de_passe_envoye": Scenario(ok=CONNECTES, methodes=(GET,), public=public(200, 405)),
    "mot_de_passe_nouveau": Scenario(
        kwargs=lambda m: m.reinitialisation, ok=CONNECTES, public=public(302, 302)
    ),
    "mot_de_passe_modifie": Scenario(ok=CONNECTES, methodes=(GET,), public=public(200, 405)),
    # Déclaration d'accessibilité : publique, pour tous.
    "accessibilite": Scenario(ok=CONNECTES, methodes=(GET,), public=public(200, 405)),
    # --- dossiers : liste, page, saisie --------------------------------------------------------
    "dossiers:liste": Scenario(ok=CONNECTES, methodes=(GET,), contenu=perimetre_des_dossiers),
    "dossiers:detail": du_dossier(lambda o: {"pk": o.accepte.pk}, methodes=(GET,)),
    "dossiers:nouveau": Scenario(ok=PORTEURS),
    "dossiers:saisie": du_porteur(lambda o: {"pk": o.brouillon.pk, "etape": "projet"}),
    "dossiers:collectif_nouveau": du_porteur(lambda o: {"pk": o.brouillon.pk}),
    "dossiers:collectif_modifier": du_porteur(
        lambda o: {"pk": o.brouillon.pk, "collectif_pk": o.collectif_brouillon.pk},
        autres=melange(
            lambda m: {"pk": m.nord.brouillon.pk, "collectif_pk": m.creuse.collectif_brouillon.pk}
        ),
    ),
    "dossiers:collectif_copier": du_porteur(
        lambda o: {"pk": o.brouillon.pk, "collectif_pk": o.collectif_brouillon.pk},
        methodes=(POST,),
        autres=melange(
            lambda m: {"pk": m.nord.brouillon.pk, "collectif_pk": m.creuse.collectif_brouillon.pk}
        ),
    ),
    "dossiers:collectif_supprimer": du_porteur(
        lambda o: {"pk": o.brouillon.pk, "collectif_pk": o.collectif_brouillon.pk},
        autres=melange(
            lambda m: {"pk": m.nord.brouillon.pk, "collectif_pk": m.creuse.collectif_brouillon.pk}
        ),
    ),
    "dossiers:piece": du_dossier(
        lambda o: {"pk": o.accepte.pk, "piece_pk": o.piece.pk},
        methodes=(GET,),
        autres=melange(lambda m: {"pk": m.nord.accepte.pk, "piece_pk": m.creuse.piece.pk}),
    ),
    "dossiers:piece_supprimer": du_porteur(
        lambda o: {"pk": o.brouillon.pk, "piece_pk": o.piece_brouillon.pk},
        autres=melange(
            lambda m: {"pk": m.nord.brouillon.pk, "piece_pk": m.creuse.piece_brouillon.pk}
        ),
    ),
    "dossiers:eligibilite": du_dossier(
        lambda o: {"pk": o.accepte.pk}, methodes=(GET,), htmx=(False, True)
    ),
    "dossiers:eligibilite_apercu_nouveau_collectif": du_porteur(
        lambda o: {"pk": o.brouillon.pk}, methodes=(POST,), htmx=(True,)
    ),
    "dossiers:eligibilite_apercu_collectif": du_porteur(
        lambda o: {"pk": o.brouillon.pk, "collectif_pk": o.collectif_brouillon.pk},
        methodes=(POST,),
        htmx=(True,),
        autres=melange(
            lambda m: {"pk": m.nord.brouillon.pk, "collectif_pk": m.creuse.collectif_brouillon.pk}
        ),
    ),
    "dossiers:eligibilite_apercu": du_porteur(
        lambda o: {"pk": o.brouillon.pk, "etape": "projet"}, methodes=(POST,), htmx=(True,)
    ),
    # --- dossiers : dépôt, suivi, instruction, décision ----------------------------------------
    "dossiers:recapitulatif": du_porteur(lambda o: {"pk": o.brouillon.pk}),
    "dossiers:deposer": du_porteur(lambda o: {"pk": o.brouillon.pk}, methodes=(POST,)),
    "dossiers:accuse": du_dossier(lambda o: {"pk": o.accepte.pk}, methodes=(GET,)),
    "dossiers:renouveler": du_porteur(lambda o: {"pk": o.accepte.pk}, methodes=(POST,)),
    "dossiers:supprimer_brouillon": du_porteur(lambda o: {"pk": o.brouillon.pk}),
    "dossiers:message": du_dossier(lambda o: {"pk": o.accepte.pk}, methodes=(POST,)),
    # Liste de contrôle : l'agent instructeur seul (secrétariat, administration : 403 ; porteur :
    # 404, la page n'existe pas pour lui).
    "dossiers:controle": du_dossier(lambda o: {"pk": o.depose.pk}, ok=(AGENT,), methodes=(POST,)),
    "dossiers:note": du_dossier(lambda o: {"pk": o.depose.pk}, ok=(AGENT, ADMIN), methodes=(POST,)),
    # Une transition réelle (« instruire », version à jour) : seul l'agent du département la fait ;
    # le porteur, le secrétariat et l'administration reçoivent le refus du workflow (403).
    "dossiers:transition": du_dossier(
        lambda o: {"pk": o.depose.pk, "nom": "instruire"},
        ok=(AGENT,),
        methodes=(POST,),
        donnees=version_du_depose,
    ),
    "dossiers:piece_apercu": du_dossier(
        lambda o: {"pk": o.accepte.pk, "piece_pk": o.piece.pk},
        methodes=(GET,),
        autres=melange(lambda m: {"pk": m.nord.accepte.pk, "piece_pk": m.creuse.piece.pk}),
    ),
    "dossiers:piece_permanente_apercu": du_dossier(
        lambda o: {"pk": o.accepte.pk, "piece_pk": o.piece_permanente.pk},
        methodes=(GET,),
        autres=melange(
            lambda m: {"pk": m.nord.accepte.pk, "piece_pk": m.creuse.piece_permanente.pk}
        ),
    ),
    "dossiers:decision": du_dossier(
        lambda o: {"pk": o.depose.pk}, ok=(AGENT,), hors=(AGENT_CREUSE,)
    ),
    "dossiers:lettre": du_dossier(lambda o: {"pk": o.accepte.pk}, methodes=(GET,)),
    # --- dossiers : file d'attente, comité, campagnes -------------------------------------------
    "dossiers:export": Scenario(
        kwargs=lambda m: {"format": "csv"},
        ok=CAF,
        methodes=(GET,),
        contenu=perimetre_sans_presence,
    ),
    "dossiers:assigner_lot": Scenario(ok=(AGENT, AGENT_CREUSE, ADMIN), methodes=(POST,)),
    "dossiers:assigner": du_dossier(
        lambda o: {"pk": o.depose.pk}, ok=(AGENT, ADMIN), hors=(AGENT_CREUSE,)
    ),
    "dossiers:comite": Scenario(ok=CAF, methodes=(GET,)),
    "dossiers:comite_export": Scenario(
        kwargs=lambda m: {"format": "csv"},
        ok=CAF,
        methodes=(GET,),
        contenu=perimetre_sans_presence,
    ),
    "dossiers:campagnes": Scenario(ok=CAF, methodes=(GET,)),
    "dossiers:campagne_creer": Scenario(ok=AGENTS),
    "dossiers:campagne_modifier": Scenario(
        kwargs=lambda m: {"pk": m.nord.campagne.pk},
        ok=(AGENT,),
        hors=(AGENT_CREUSE,),
        croises={"creuse": Croise(lambda m: {"pk": m.creuse.campagne.pk})},
    ),
    # --- organisations porteuses --------------------------------------------------------------
    "porteurs:liste": Scenario(ok=CONNECTES, methodes=(GET,), contenu=perimetre_sans_presence),
    "porteurs:creer": Scenario(ok=AGENTS),
    "porteurs:detail": du_dossier(lambda o: {"pk": o.porteur.pk}, methodes=(GET,)),
    "porteurs:modifier": du_dossier(lambda o: {"pk": o.porteur.pk}, ok=(PORTEUR,)),
    "porteurs:inviter": du_dossier(lambda o: {"pk": o.porteur.pk}, ok=(PORTEUR, AGENT)),
    "porteurs:invitation_annuler": du_dossier(
        lambda o: {"pk": o.porteur.pk, "invitation_pk": o.invitation.pk},
        ok=(PORTEUR, AGENT),
        autres=melange(
            lambda m: {"pk": m.nord.porteur.pk, "invitation_pk": m.creuse.invitation.pk}
        ),
    ),
    "porteurs:membre_retirer": du_dossier(
        lambda o: {"pk": o.porteur.pk, "membre_pk": o.contributeur.pk},
        ok=(PORTEUR,),
        autres=melange(lambda m: {"pk": m.nord.porteur.pk, "membre_pk": m.creuse.contributeur.pk}),
    ),
    "porteurs:membre_qualite": du_dossier(
        lambda o: {"pk": o.porteur.pk, "membre_pk": o.contributeur.pk},
        ok=(PORTEUR,),
        autres=melange(lambda m: {"pk": m.nord.porteur.pk, "membre_pk": m.creuse.contributeur.pk}),
    ),
    "porteurs:piece_deposer": du_dossier(
        lambda o: {"pk": o.porteur.pk, "type_piece": "rib"}, ok=(PORTEUR,)
    ),
    "porteurs:export": du_dossier(lambda o: {"pk": o.porteur.pk}, ok=(PORTEUR,), methodes=(GET,)),
    "porteurs:piece_telecharger": du_dossier(
        lambda o: {"pk": o.porteur.pk, "piece_pk": o.piece_permanente.pk},
        methodes=(GET,),
        autres=melange(
            lambda m: {"pk": m.nord.porteur.pk, "piece_pk": m.creuse.piece_permanente.pk}
        ),
    ),
    # --- l'année du Clas : activité, calendrier, registre, bilan de l'action -------------------
    "seances:activite": du_dossier(lambda o: {"pk": o.accepte.pk}, methodes=(GET,)),
    "seances:calendrier": du_porteur(lambda o: {"pk": o.collectif.pk}, methodes=(GET,)),
    "seances:generer": du_porteur(lambda o: {"pk": o.collectif.pk}),
    "seances:ajouter": du_porteur(lambda o: {"pk": o.collectif.pk}),
    "seances:deplacer": du_porteur(lambda o: {"pk": o.seance_prevue.pk}),
    "seances:annuler": du_porteur(lambda o: {"pk": o.seance_prevue.pk}),
    "seances:retablir": du_porteur(lambda o: {"pk": o.seance_annulee.pk}, methodes=(POST,)),
    # Séance générée par le calendrier : suppression refusée (redirection vers le calendrier).
    "seances:seance_supprimer": du_porteur(lambda o: {"pk": o.seance_prevue.pk}),
    "seances:enfants": du_porteur(lambda o: {"pk": o.collectif.pk}),
    "seances:enfant_modifier": du_porteur(lambda o: {"pk": o.enfant.pk}),
    "seances:enfant_supprimer": du_porteur(lambda o: {"pk": o.enfant.pk}),
    "seances:appel": du_porteur(lambda o: {"pk": o.seance_passee.pk}),
    "seances:presences": du_porteur(lambda o: {"pk": o.collectif.pk}, methodes=(GET,)),
    "seances:journal": du_porteur(lambda o: {"pk": o.collectif.pk}),
    "seances:action_parents_supprimer": du_porteur(lambda o: {"pk": o.action_parents.pk}),
    "seances:rencontre_ecole_supprimer": du_porteur(lambda o: {"pk": o.rencontre_ecole.pk}),
    "seances:action_parents_modifier": du_porteur(lambda o: {"pk": o.action_parents.pk}),
    "seances:rencontre_ecole_modifier": du_porteur(lambda o: {"pk": o.rencontre_ecole.pk}),
    # Les bilans de l'action soumis : agents et secrétariat, chacun ceux de son département.
    "seances:bilans_soumis": Scenario(
        ok=(AGENT, AGENT_CREUSE, SECRETARIAT, SECRETARIAT_CREUSE), methodes=(GET,)
    ),
    # Le bilan de l'action : tous ceux qui voient le dossier le lisent ; seul le porteur l'écrit.
    "seances:bilan": du_dossier(
        lambda o: {"pk": o.collectif.pk}, ok_post=(PORTEUR,), hors_post=(AUTRE_PORTEUR,)
    ),
    "seances:bilan_correction": du_dossier(
        lambda o: {"pk": o.collectif_bilan_soumis.pk},
        ok=(AGENT,),
        hors=(AGENT_CREUSE,),
        methodes=(POST,),
    ),
    # --- bilans départementaux -----------------------------------------------------------------
    "bilans:index": Scenario(ok=CAF, methodes=(GET,)),
    # Demander le bilan d'un autre département que le sien : 404.
    "bilans:generer": Scenario(
        ok=CAF,
        methodes=(POST,),
        croises={
            "creuse": Croise(lambda m: {}, donnees=lambda m: {"departement": "23", "annee": 2025})
        },
    ),
    "bilans:generation": Scenario(
        kwargs=lambda m: {"pk": m.nord.generation.pk},
        ok=CAF_DU_NORD,
        hors=CAF_DE_LA_CREUSE,
        methodes=(GET,),
        htmx=(False, True),
        croises={"creuse": Croise(lambda m: {"pk": m.creuse.generation.pk})},
    ),
    "bilans:telecharger": Scenario(
        kwargs=lambda m: {"pk": m.nord.generation.pk, "format": "pdf"},
        ok=CAF_DU_NORD,
        hors=CAF_DE_LA_CREUSE,
        methodes=(GET,),
        croises={"creuse": Croise(lambda m: {"pk": m.creuse.generation.pk, "format": "pdf"})},
    ),
    "bilans:tableau": Scenario(kwargs=tableau_bilan("59"), **BILAN_DU_NORD),
    "bilans:export_json": Scenario(kwargs=tableau_bilan("59"), **BILAN_DU_NORD),
    "bilans:export_csv": Scenario(kwargs=tableau_bilan("59"), **BILAN_DU_NORD),
    "bilans:export_xlsx": Scenario(kwargs=tableau_bilan("59"), **BILAN_DU_NORD),
    # --- référentiel, journal d'audit ----------------------------------------------------------
    "eligibility:referentiel": Scenario(ok=CONNECTES, methodes=(GET,)),
    "audit:journal": Scenario(ok=(ADMIN,), methodes=(GET,)),
}
