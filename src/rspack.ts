import { unplugin } from './index.js'

/** The rspack plugin, for rspack.config.js: `plugins: [imageInvalidate()]`. */
export default unplugin.rspack
