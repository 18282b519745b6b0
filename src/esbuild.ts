import { unplugin } from './plugin/unplugin.js'

/** The esbuild plugin, for esbuild's build options: `plugins: [imageInvalidate()]`. */
export default unplugin.esbuild
export type { Options } from './types.js'
