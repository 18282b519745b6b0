import { unplugin } from './plugin/unplugin.js'

/** The Vite plugin: `plugins: [imageInvalidate()]` in `vite.config.ts`. */
export default unplugin.vite
export type { Options } from './types.js'
