// Keyboard access to code revealed by opening a folded cell or a solution (WCAG 2.1.1; found by
// `make check-site`, axe scrollable-region-focusable). pydata-sphinx-theme gives every code block
// and output that scrolls a tab stop (tabIndex 0), so it can be scrolled from the keyboard, on
// load, on resize and when nodes are added. Folded code does not scroll until it is shown, and
// opening it adds no nodes, so it never got one. This applies the theme's rule to what was just
// opened: myst-nb's folded cells (<details>) and sphinx-togglebutton's dropdowns (solutions).
// Jupyter Book adds every .js file in _static to every page.
(() => {
  const SCROLLABLE = "pre, .cell_output > .output";
  const setTabStops = (root) =>
    root.querySelectorAll(SCROLLABLE).forEach((el) => {
      el.tabIndex = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight ? 0 : -1;
    });
  // A <details> fires "toggle", which does not bubble: listen while capturing.
  document.addEventListener("toggle", (event) => event.target.open && setTabStops(event.target), true);
  // A dropdown is shown by removing its class toggle-hidden.
  new MutationObserver((records) => {
    for (const { target } of records) {
      if (target.classList.contains("toggle") && !target.classList.contains("toggle-hidden")) setTabStops(target);
    }
  }).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ["class"] });
})();
