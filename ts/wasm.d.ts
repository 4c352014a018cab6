declare module '*.wasm' {
  const bytes: Uint8Array | undefined;
  export default bytes;
}
