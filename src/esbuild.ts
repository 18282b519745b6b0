import { unplugin } from './index.js'

/** The esbuild plugin, for esbuild's build options: `plugins: [imageInvalidate()]`. */
export default unplugin.esbuild
