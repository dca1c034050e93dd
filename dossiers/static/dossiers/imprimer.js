// Bouton « Imprimer » de l'ordre du jour du comité (pas de script en ligne : CSP stricte).
// Sans JavaScript, le bouton reste caché et l'impression passe par le navigateur.
document.querySelectorAll("[data-imprimer]").forEach(function (bouton) {
  bouton.hidden = false;
  bouton.addEventListener("click", function () {
    window.print();
  });
});
