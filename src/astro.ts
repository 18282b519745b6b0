// The Astro integration, `integrations: [imageInvalidate()]` in astro.config: see ./plugin/astro.ts.
export { imageInvalidateIntegration as default } from './plugin/astro.js'
export type { Options } from './types.js'
