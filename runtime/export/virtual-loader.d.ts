/** The text of `heracles-layers.js` (see runtime/export/loader-vite.ts). */
declare module 'virtual:heracles-layers-loader' {
  const source: string;
  export default source;
}
