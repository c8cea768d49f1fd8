/** How long a "Link copied" confirmation stays before its button offers to copy again. */
export const COPIED_MS = 4000;
