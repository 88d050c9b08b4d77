/** Scrolling rules shared by the log views. Pure. */

/**
 * Whether a scrolled box is at (or within `slack` pixels of) its bottom: a
 * log keeps following new text only while the reader has not scrolled up.
 */
export function atBottom(box: { scrollTop: number; clientHeight: number; scrollHeight: number }, slack = 8) {
  return box.scrollTop + box.clientHeight >= box.scrollHeight - slack;
}
