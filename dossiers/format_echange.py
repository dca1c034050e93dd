"""Lecture et validation du format d'échange ``clas-dossier/1``.

Un fichier est refusé en entier, avec un message français par problème qui nomme le chemin du
champ (``collectifs[0].creneaux[1].jour : « funday » n'est pas une valeur autorisée``) : fichier
vide, trop gros, pas en UTF-8, JSON mal formé, types faux, clés inconnues, valeurs hors bornes,
années non consécutives.
"""

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker

TAILLE_MAX_OCTETS = 5 * 1024 * 1024
FORMAT_DOSSIER = "clas-dossier/1"
SCHEMA_PATH = Path(__file__).parent / "format" / "clas-dossier-1.schema.json"

NOMS_TYPES = {
    "object": "un objet",
    "array": "une liste",
    "string": "une chaîne de caractères",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "un booléen (true ou false)",
    "null": "null",
}


class ErreurFormat(Exception):
    """Le document n'est pas un ``clas-dossier/1`` valide ; ``problemes`` en dit la liste."""

    def __init__(self, problemes: list[str]):
        self.problemes = problemes
        super().__init__("\n".join(problemes))


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validateur() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker(formats=["date"]))


@cache
def _verification_rapide():
    """Le schéma compilé par fastjsonschema : dit seulement si un document le respecte.

    Vingt fois plus rapide que jsonschema ; jsonschema reste seul juge des messages. La date se
    vérifie avec la fonction même de jsonschema, et « $id » (relatif, que fastjsonschema
    prendrait pour une adresse à télécharger) est retiré : les « $ref » sont tous internes.
    """
    dates = FormatChecker(formats=["date"])
    definition = {cle: valeur for cle, valeur in schema().items() if cle != "$id"}
    return fastjsonschema.compile(
        definition,
        formats={"date": lambda texte: dates.conforms(texte, "date")},
        use_default=False,
    )


def _types_de_lire(document) -> bool:
    """Vrai si le document n'est fait que des types que rend ``lire`` (sans float ni tuple).

    Sur ces types, fastjsonschema juge comme jsonschema (ou plus sévèrement : « $ » d'un motif
    n'y accepte pas de saut de ligne final). Un float, lui, y passerait pour entier s'il vaut
    5.0, ce que jsonschema refuse. Parcours sans récursion : la profondeur n'est pas bornée.
    """
    a_voir = [document]
    while a_voir:
        valeur = a_voir.pop()
        if isinstance(valeur, dict):
            if not all(isinstance(cle, str) for cle in valeur):
                return False
            a_voir.extend(valeur.values())
        elif isinstance(valeur, list):
            a_voir.extend(valeur)
        elif not (valeur is None or isinstance(valeur, str | int | Decimal)):
            return False
    return True


def _respecte_le_schema(document) -> bool:
    """Vérification rapide ; ``False`` veut dire « à faire examiner par jsonschema »."""
    if not _types_de_lire(document):
        return False
    try:
        _verification_rapide()(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def chemin(parties) -> str:
    """(« collectifs », 0, « jour ») → ``collectifs[0].jour``."""
    texte = ""
    for partie in parties:
        if isinstance(partie, int):
            texte += f"[{partie}]"
        else:
            texte += f".{partie}" if texte else str(partie)
    return texte or "(document)"


def _valeur(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "un objet"
    if isinstance(v, list):
        return "une liste"
    texte = str(v)
    return f"« {texte[:60]}{'…' if len(texte) > 60 else ''} »"


def _type_recu(v) -> str:
    if isinstance(v, bool):
        return "un booléen"
    if isinstance(v, int):
        return "un nombre entier"
    if isinstance(v, float | Decimal):
        return "un nombre décimal"
    if isinstance(v, str):
        return "une chaîne de caractères"
    if isinstance(v, list):
        return "une liste"
    if isinstance(v, dict):
        return "un objet"
    return "null"


def _message(erreur) -> str:
    """Traduit une erreur de jsonschema en une ligne française qui nomme le champ."""
    lieu = list(erreur.absolute_path)
    v = erreur.instance
    regle = erreur.validator
    attendu = erreur.validator_value
    if regle == "additionalProperties":
        connues = set(erreur.schema.get("properties", {}))
        inconnues = sorted(k for k in v if k not in connues)
        return "\n".join(
            f"{chemin([*lieu, cle])} : clé inconnue du format {FORMAT_DOSSIER}" for cle in inconnues
        )
    if regle == "required":
        manquantes = [c for c in attendu if c not in v]
        return "\n".join(f"{chemin([*lieu, c])} : champ obligatoire absent" for c in manquantes)
    ici = chemin(lieu)
    if regle == "type":
        types = attendu if isinstance(attendu, list) else [attendu]
        attendus = " ou ".join(NOMS_TYPES.get(t, t) for t in types)
        return f"{ici} : doit être {attendus} (reçu : {_type_recu(v)})"
    if regle == "enum":
        possibles = ", ".join(str(a) for a in attendu)
        return (
            f"{ici} : {_valeur(v)} n'est pas une valeur autorisée (valeurs possibles : {possibles})"
        )
    if regle == "const":
        return f"{ici} : doit valoir « {attendu} » (reçu : {_valeur(v)})"
    if regle == "pattern":
        if lieu == ["annee_scolaire"]:
            return f"{ici} : {_valeur(v)} n'est pas une année scolaire (attendu : « 2025-2026 »)"
        if lieu == ["departement"]:
            return f"{ici} : {_valeur(v)} n'est pas un code de département (ex. « 59 », « 2A », « 974 »)"
        if lieu and lieu[-1] == "code_postal":
            return f"{ici} : {_valeur(v)} n'est pas un code postal (5 chiffres)"
        if lieu and lieu[-1] == "siret":
            return f"{ici} : {_valeur(v)} n'est pas un SIRET (14 chiffres)"
        if lieu and lieu[-1] == "debut":
            return f"{ici} : {_valeur(v)} n'est pas une heure (HH:MM)"
        return f"{ici} : {_valeur(v)} n'a pas le format attendu"
    if regle == "format":
        return f"{ici} : {_valeur(v)} n'est pas une date valide (AAAA-MM-JJ)"
    if regle == "minimum":
        return f"{ici} : {_valeur(v)} est inférieur au minimum autorisé ({attendu})"
    if regle == "maximum":
        return f"{ici} : {_valeur(v)} dépasse le maximum autorisé ({attendu})"
    if regle == "minLength":
        return f"{ici} : ne doit pas être vide"
    if regle == "maxLength":
        return f"{ici} : trop long ({len(v)} caractères, {attendu} au plus)"
    if regle == "uniqueItems":
        return f"{ici} : la liste contient des doublons"
    if regle == "oneOf" and lieu and isinstance(attendu, list):
        return (
            f"{ici} : {_valeur(v)} n'est pas un montant en euros : un nombre positif ou une "
            "chaîne décimale d'au plus 2 décimales (ex. « 9000.00 »)"
        )
    return f"{ici} : {erreur.message}"


def _cle_tri(erreur):
    return [str(p).zfill(6) if isinstance(p, int) else p for p in erreur.absolute_path]


# Bornes de capacité du portail, au-delà de ce que le schéma borne : un nombre qu'on ne peut pas
# stocker au centime près est une erreur de format, jamais une troncature silencieuse.
MONTANT_MAX = Decimal("9999999999.99")
BORNES_BILAN = {
    "enfants_inscrits": 100_000,
    "filles": 100_000,
    "garcons": 100_000,
    "familles": 100_000,
    "seances_realisees": 100_000,
    "intervenants_salaries": 100_000,
    "intervenants_benevoles": 100_000,
    "actions_parents": 100_000,
    "rencontres_ecole": 100_000,
}
HEURES_MAX = Decimal("999999.99")


def _decimales(valeur) -> int:
    exposant = Decimal(str(valeur)).as_tuple().exponent
    return -exposant if isinstance(exposant, int) and exposant < 0 else 0


PARTICIPATION_MAX = Decimal("999999.99")


def _euros(montant: Decimal) -> str:
    entier, decimales = f"{montant:.2f}".split(".")
    groupes = []
    while len(entier) > 3:
        groupes.insert(0, entier[-3:])
        entier = entier[:-3]
    groupes.insert(0, entier)
    return f"{' '.join(groupes)},{decimales} €"


def _verifier_montant(valeur, ou: str, problemes: list[str], maximum=MONTANT_MAX) -> None:
    if isinstance(valeur, bool) or not isinstance(valeur, int | float | Decimal | str):
        return  # déjà signalé par le schéma
    try:
        montant = Decimal(str(valeur))
    except ArithmeticError:
        return
    if not montant.is_finite():
        return
    if montant > maximum:
        problemes.append(
            f"{ou} : {_valeur(valeur)} dépasse le maximum autorisé ({_euros(maximum)})"
        )
    elif not isinstance(valeur, str) and _decimales(montant) > 2:
        problemes.append(
            f"{ou} : {_valeur(valeur)} : un montant s'exprime au centime près (2 décimales au plus)"
        )


def _verifier_capacites(document: dict, problemes: list[str]) -> None:
    charte = document.get("charte")
    if isinstance(charte, dict) and "participation_familles_euros" in charte:
        _verifier_montant(
            charte["participation_familles_euros"],
            "charte.participation_familles_euros",
            problemes,
            maximum=PARTICIPATION_MAX,
        )
    instruction = document.get("instruction")
    if isinstance(instruction, dict) and "montant_accorde" in instruction:
        _verifier_montant(instruction["montant_accorde"], "instruction.montant_accorde", problemes)
    collectifs = document.get("collectifs")
    for i, collectif in enumerate(collectifs if isinstance(collectifs, list) else []):
        if not isinstance(collectif, dict):
            continue
        if "depenses_fonctionnement" in collectif:
            _verifier_montant(
                collectif["depenses_fonctionnement"],
                f"collectifs[{i}].depenses_fonctionnement",
                problemes,
            )
        bilan = collectif.get("bilan")
        if not isinstance(bilan, dict):
            continue
        for cle, maximum in BORNES_BILAN.items():
            v = bilan.get(cle)
            if isinstance(v, int) and not isinstance(v, bool) and v > maximum:
                problemes.append(
                    f"collectifs[{i}].bilan.{cle} : {v} dépasse le maximum autorisé ({maximum})"
                )
        heures = bilan.get("heures_realisees")
        if isinstance(heures, int | Decimal) and not isinstance(heures, bool):
            if heures > HEURES_MAX:
                problemes.append(
                    f"collectifs[{i}].bilan.heures_realisees : {heures} dépasse le maximum "
                    f"autorisé ({HEURES_MAX})"
                )
            elif _decimales(heures) > 2:
                problemes.append(
                    f"collectifs[{i}].bilan.heures_realisees : {heures} : 2 décimales au plus"
                )
        taux = bilan.get("taux_presence")
        if isinstance(taux, Decimal) and _decimales(taux) > 4:
            problemes.append(f"collectifs[{i}].bilan.taux_presence : {taux} : 4 décimales au plus")


def valider(document) -> list[str]:
    """Les problèmes du document, une ligne française par problème ; liste vide s'il est valide."""
    if not isinstance(document, dict):
        return [f"(document) : doit être un objet JSON (reçu : {_type_recu(document)})"]
    problemes = []
    if not _respecte_le_schema(document):
        for erreur in sorted(_validateur().iter_errors(document), key=_cle_tri):
            for ligne in _message(erreur).splitlines():
                if ligne not in problemes:
                    problemes.append(ligne)
    _verifier_capacites(document, problemes)
    annee = document.get("annee_scolaire")
    if isinstance(annee, str) and len(annee) == 9 and annee[4] == "-":
        debut, fin = annee[:4], annee[5:]
        if debut.isdigit() and fin.isdigit() and int(fin) != int(debut) + 1:
            problemes.append(
                f"annee_scolaire : « {annee} » : les deux années doivent se suivre "
                f"(ex. « {debut}-{int(debut) + 1} »)"
            )
    collectifs = document.get("collectifs")
    for i, collectif in enumerate(collectifs if isinstance(collectifs, list) else []):
        if not isinstance(collectif, dict):
            continue
        debut, fin = collectif.get("date_debut"), collectif.get("date_fin")
        dates_lisibles = isinstance(debut, str) and isinstance(fin, str)
        if dates_lisibles and len(debut) == len(fin) == 10 and fin < debut:
            problemes.append(
                f"collectifs[{i}].date_fin : « {fin} » précède la date de début « {debut} »"
            )
        bilan = collectif.get("bilan")
        if isinstance(bilan, dict):
            inscrits, filles, garcons = (
                bilan.get(k) for k in ("enfants_inscrits", "filles", "garcons")
            )
            entiers = all(
                isinstance(x, int) and not isinstance(x, bool) for x in (inscrits, filles, garcons)
            )
            if entiers and filles + garcons > inscrits:
                problemes.append(
                    f"collectifs[{i}].bilan : {filles} filles et {garcons} garçons pour "
                    f"{inscrits} enfants inscrits"
                )
    return problemes


ERREURS_JSON = {
    "Expecting property name enclosed in double quotes": "nom de clé attendu entre guillemets doubles",
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendus",
    "Unterminated string starting at": "chaîne de caractères non terminée",
    "Extra data": "données en trop après la fin du document",
    "Invalid control character at": "caractère de contrôle interdit dans une chaîne",
    "Invalid \\escape": "séquence d'échappement invalide",
}


class _ConstanteNonJson(ValueError):
    pass


class _CleEnDouble(ValueError):
    pass


def _refuser_constante(nom: str):
    """NaN, Infinity et -Infinity ne sont pas du JSON (RFC 8259)."""
    raise _ConstanteNonJson(nom)


def _objet_sans_doublon(paires: list[tuple[str, object]]) -> dict:
    objet = {}
    for cle, valeur in paires:
        if cle in objet:
            raise _CleEnDouble(cle)
        objet[cle] = valeur
    return objet


def lire(octets: bytes) -> dict:
    """Décode et valide un document ; lève ``ErreurFormat`` avec la liste des problèmes."""
    if len(octets) > TAILLE_MAX_OCTETS:
        taille = len(octets) / (1024 * 1024)
        raise ErreurFormat(
            [f"(fichier) : trop volumineux ({taille:.1f} Mo) ; 5 Mo au plus par dossier"]
        )
    if not octets.strip():
        raise ErreurFormat(["(fichier) : le fichier est vide"])
    try:
        texte = octets.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ErreurFormat(
            [f"(fichier) : n'est pas encodé en UTF-8 (octet invalide à la position {exc.start})"]
        ) from exc
    try:
        document = json.loads(
            texte,
            parse_float=Decimal,
            parse_constant=_refuser_constante,
            object_pairs_hook=_objet_sans_doublon,
        )
    except _ConstanteNonJson as exc:
        raise ErreurFormat(
            [f"(fichier) : « {exc.args[0]} » n'est pas une valeur JSON (nombre attendu)"]
        ) from exc
    except _CleEnDouble as exc:
        raise ErreurFormat([f"(fichier) : la clé « {exc.args[0]} » apparaît deux fois"]) from exc
    except json.JSONDecodeError as exc:
        raise ErreurFormat(
            [
                f"(fichier) : JSON mal formé, ligne {exc.lineno}, colonne {exc.colno} : "
                f"{ERREURS_JSON.get(exc.msg, exc.msg)}"
            ]
        ) from exc
    problemes = valider(document)
    if problemes:
        raise ErreurFormat(problemes)
    return document
