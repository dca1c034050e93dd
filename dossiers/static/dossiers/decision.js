/* Décision d'acceptation : pendant la saisie des montants, le total du tableau, le libellé de
 * la case de confirmation et le total qu'elle confirme (champ caché) suivent la saisie ; si le
 * total change, la case se décoche (elle confirmait l'ancien total). Sans script, le serveur
 * fait la même vérification à l'envoi : il reste la référence. Pas de script en ligne (CSP). */
(function () {
  "use strict";

  var champs = document.querySelectorAll("input.montant");
  var libelle = document.querySelector("[data-libelle-confirmation]");
  var cache = document.querySelector('input[name="total_confirme"]');
  var case_ = document.getElementById("id_confirmation");
  var sortie = document.querySelector("[data-total-accorde]");
  if (!champs.length || !libelle || !cache || !case_) {
    return;
  }
  var format = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function euros(centimes) {
    // Comme le filtre « euros » du serveur : espaces fines insécables.
    return format.format(centimes / 100).replace(/[\s\u00a0\u202f]/g, "\u202f") + "\u202f€";
  }

  function centimes(texte) {
    var propre = (texte || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{1,2})?$/.test(propre)) {
      return null;
    }
    var parties = propre.split(".");
    return parseInt(parties[0], 10) * 100 + parseInt(((parties[1] || "") + "00").slice(0, 2), 10);
  }

  function total() {
    var somme = 0;
    for (var i = 0; i < champs.length; i++) {
      var valeur = centimes(champs[i].value);
      if (valeur === null) {
        return null;
      }
      somme += valeur;
    }
    return somme;
  }

  function mettreAJour() {
    var somme = total();
    var valeur = somme === null ? "" : (somme / 100).toFixed(2);
    if (valeur === cache.value) {
      return;
    }
    cache.value = valeur;
    case_.checked = false;
    var modele = libelle.dataset.modele;
    if (somme === null) {
      libelle.textContent = modele.replace("pour un montant total de {total}", "pour le montant total indiqué ci-dessus");
      if (sortie) {
        sortie.textContent = "à compléter";
      }
    } else {
      libelle.textContent = modele.replace("{total}", euros(somme));
      if (sortie) {
        sortie.textContent = euros(somme);
      }
    }
  }

  champs.forEach(function (champ) {
    champ.addEventListener("input", mettreAJour);
  });
})();
