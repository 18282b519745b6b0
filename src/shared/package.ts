/** The package's name: bundlers, frameworks and servers know the plugin by it. */
export const PACKAGE_NAME = 'unplugin-image-invalidate'

/** Sent with every request, so that a log on the other side says who asked. */
export const USER_AGENT = PACKAGE_NAME
