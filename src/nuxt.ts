// The Nuxt module, `modules: ['unplugin-image-invalidate/nuxt']` in nuxt.config: see ./plugin/nuxt.ts.
export { imageInvalidateModule as default, type NuxtLike } from './plugin/nuxt.js'
export type { Options } from './types.js'
