/**
 * What every kernel's JavaScript side does with its WebAssembly memory: grow
 * it to hold a layout, and align that layout's regions for 16-byte (v128)
 * loads. Growing keeps the contents but detaches every view of the old
 * buffer, so views are made after it.
 */
const PAGE = 65536;

/** `memory` grown, if need be, to at least `bytes` bytes. */
export function growTo(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** n rounded up to a multiple of 16. */
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;
