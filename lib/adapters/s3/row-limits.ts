/**
 * The longest row the audience reader accepts, in bytes. A row holds a number and a few template
 * parameters (Meta caps a body parameter at 32,768 characters), so a longer one means a broken
 * file, such as a quote that never closes; the bound keeps the reader from buffering the rest of
 * the object to find that out.
 */
export const MAX_ROW_BYTES = 1_048_576;
