// The parts of the codec primitives' untyped CommonJS APIs that src/kafka uses.

declare module 'snappyjs' {
  /** Throws when the block declares more than `maxLength` bytes (checked before allocating). */
  function uncompress(compressed: Buffer, maxLength?: number): Buffer;
  function compress(uncompressed: Buffer): Buffer;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}

declare module 'lz4js' {
  const lz4: {
    /** One frame of `src` (dependent blocks, 4 MiB maximum block size). */
    compress(src: Uint8Array): Uint8Array;
    decompress(src: Uint8Array): Uint8Array;
    compressBound(n: number): number;
    /** Compresses src[sIndex, sIndex + sLength) into dst; returns its length, or 0 when nothing matched. */
    compressBlock(
      src: Uint8Array,
      dst: Uint8Array,
      sIndex: number,
      sLength: number,
      hashTable: Uint32Array,
    ): number;
  };
  export default lz4;
}

declare module 'lz4js/xxh32.js' {
  const xxh32: { hash(seed: number, src: Uint8Array, index: number, length: number): number };
  export default xxh32;
}
