// The Nuxt module, `modules: ['unplugin-image-invalidate/nuxt']` in nuxt.config: see ./build/nuxt.ts.
export { imageInvalidateModule as default, type NuxtLike } from './build/nuxt.js'
export type { Options } from './types.js'
