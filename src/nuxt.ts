// The Nuxt module, `modules: ['unplugin-image-invalidate/nuxt']` in nuxt.config: see ./build/nuxt.ts.
export { imageInvalidateModule as default } from './build/nuxt.js'
