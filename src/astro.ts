// The Astro integration, `integrations: [imageInvalidate()]` in astro.config: see ./build/astro.ts.
export { imageInvalidateIntegration as default } from './build/astro.js'
export type { Options } from './types.js'
