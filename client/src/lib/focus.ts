// Keeping the keyboard inside a modal piece of the page (WAI-ARIA APG, dialog pattern).

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** What Tab can reach inside `box`, in order. */
export function focusables(box: Element): HTMLElement[] {
  return [...box.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hidden);
}

/**
 * On Tab, goes round `box`: past its last control back to the first and, with Shift, the other way;
 * a focus that got outside comes back in. Call it from a keydown handler for Tab.
 */
export function keepTabInside(box: Element, e: KeyboardEvent): void {
  const items = focusables(box);
  if (items.length === 0) return;
  const first = items[0]!;
  const last = items[items.length - 1]!;
  const at = document.activeElement;
  const inside = at instanceof Node && box.contains(at);
  if (!inside || (e.shiftKey ? at === first : at === last)) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}
