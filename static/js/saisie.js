/* Saisie d'un dossier : petites aides au clavier et à la souris, sans script en ligne (CSP).
 * Tout fonctionne sans JavaScript ; ce fichier ne fait qu'ajouter du confort. */
(function () {
  "use strict";

  // 1. Après une erreur, le résumé des erreurs reçoit le focus (lu par les lecteurs d'écran).
  var resume = document.getElementById("erreurs-formulaire");
  if (resume) {
    resume.focus();
  }

  // 2. « Utiliser N semaines » : recopie la suggestion dans le champ.
  function montrerSuggestions(racine) {
    (racine || document).querySelectorAll("[data-suggestion-cible]").forEach(function (bouton) {
      bouton.hidden = false;
    });
  }
  montrerSuggestions(document);
  document.addEventListener("htmx:load", function (evenement) {
    montrerSuggestions(evenement.target);
  });
  document.addEventListener("click", function (evenement) {
    var bouton = evenement.target.closest("[data-suggestion-cible]");
    if (!bouton) {
      return;
    }
    var champ = document.getElementById(bouton.dataset.suggestionCible);
    if (champ && !champ.disabled) {
      champ.value = bouton.dataset.suggestionValeur;
      champ.dispatchEvent(new Event("input", { bubbles: true }));
      champ.focus();
    }
  });

  // 3. Budget : totaux recalculés pendant la saisie (le serveur reste la référence).
  var euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
  function totaliser(prefixe) {
    var total = 0;
    document.querySelectorAll('input[name^="' + prefixe + '-"][name$="-montant"]').forEach(function (champ) {
      var ligne = champ.name.slice(0, -"-montant".length);
      var suppression = document.querySelector('input[name="' + ligne + '-DELETE"]');
      var valeur = parseFloat((champ.value || "").replace(",", "."));
      if (!isNaN(valeur) && !(suppression && suppression.checked)) {
        total += valeur;
      }
    });
    return total;
  }
  function majTotaux() {
    ["depenses", "recettes"].forEach(function (prefixe) {
      var sortie = document.querySelector('[data-total="' + prefixe + '"]');
      if (sortie) {
        sortie.textContent = euros.format(totaliser(prefixe));
        var entete = sortie.closest("tr").querySelector("th");
        if (entete) {
          entete.textContent = "Total";
        }
      }
    });
  }
  if (document.querySelector("[data-total]")) {
    document.addEventListener("input", function (evenement) {
      if (evenement.target.name && (evenement.target.name.endsWith("-montant") || evenement.target.name.endsWith("-DELETE"))) {
        majTotaux();
      }
    });
  }

  // 4. Quitter la page avec une saisie non enregistrée : le navigateur demande confirmation.
  var formulaire = document.getElementById("formulaire-etape");
  if (formulaire && !formulaire.hasAttribute("data-lecture-seule")) {
    var modifie = false;
    formulaire.addEventListener("input", function () {
      modifie = true;
    });
    formulaire.addEventListener("submit", function () {
      modifie = false;
    });
    window.addEventListener("beforeunload", function (evenement) {
      if (modifie) {
        evenement.preventDefault();
        evenement.returnValue = "";
      }
    });
  }
})();
