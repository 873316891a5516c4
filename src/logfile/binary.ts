/**
 * Binary file detection for line views.
 *
 * Rule (after git's `buffer_is_binary()` in `xdiff-interface.c`, which looks for a NUL in the first
 * 8000 bytes, and GNU grep, which treats a NUL as the mark of binary data): a sample is binary when
 * - it contains a NUL byte, or
 * - more than 10% of its bytes are C0 control characters other than TAB, LF, VT, FF, CR, BS and
 *   ESC (ESC is kept out because ANSI colour codes are common in logs).
 * Invalid UTF-8 alone does not make a file binary: it is shown with U+FFFD.
 */

/** Bytes of the file head to examine: 8 KiB. */
export const BINARY_SAMPLE_BYTES = 8192;

/** Fraction of odd control characters above which a sample counts as binary. */
export const BINARY_CONTROL_RATIO = 0.1;

/**
 * True when `sample` (normally the first {@link BINARY_SAMPLE_BYTES} bytes of a file) looks binary
 * by the rule above. Only the first 8 KiB of `sample` are examined; an empty sample is text.
 */
export function isBinary(sample: Buffer): boolean {
  const n = Math.min(sample.length, BINARY_SAMPLE_BYTES);
  if (n === 0) return false;
  const head = sample.subarray(0, n);
  if (head.indexOf(0) >= 0) return true;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d && b !== 0x08 && b !== 0x1b) odd++;
    else if (b === 0x7f) odd++;
  }
  return odd > n * BINARY_CONTROL_RATIO;
}
