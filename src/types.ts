/** Options of the plugin, `withImageInvalidate` and `apply()`. Every one has a default; most users set none. */
export interface Options {
  /**
   * Plan invalidations on this build.
   *
   * Default: on for Vercel production builds (`VERCEL_ENV=production`), when `IMAGE_INVALIDATE=1`, or when
   * a baseline is given; elsewhere the manifest is written with an empty plan. `false` turns the plugin off:
   * nothing is scanned or written. Environment: `IMAGE_INVALIDATE`.
   */
  enabled?: boolean
  /**
   * Plan and print, send nothing: the build prints every planned source image and `apply` sends no request.
   * Environment: `IMAGE_INVALIDATE_DRY_RUN`.
   * @default false
   */
  dryRun?: boolean
  /**
   * Fail the build when anything goes wrong (unreadable baseline or image, bad option). Without it the
   * plugin warns and the build goes on.
   * @default false
   */
  strict?: boolean
  /**
   * The folder whose files are served at the site root. Default: the bundler's (Vite `publicDir`,
   * Next.js `public/`), else `public` under the project root.
   */
  publicDir?: string
  /**
   * Globs, relative to the public directory, of the files to track.
   * @default ['**\/*.{png,jpg,jpeg,webp,avif,gif,svg,ico,bmp,tif,tiff}'] (case-insensitive)
   */
  include?: string | string[]
  /** Globs, relative to the public directory, of the files to leave out. Matching folders are not walked. */
  exclude?: string | string[]
  /**
   * The manifest of the live deployment to compare with: an `https://` URL or a file path. `false`: no
   * baseline, plan nothing. Default: `IMAGE_INVALIDATE_BASELINE`, else `<siteUrl><basePath>/_image-invalidate.json`.
   */
  baseline?: string | false
  /**
   * The production origin, e.g. `https://example.com`. Default: `IMAGE_INVALIDATE_SITE_URL`, else
   * `https://$VERCEL_PROJECT_PRODUCTION_URL` on Vercel.
   */
  siteUrl?: string
  /** Prefix of every source image, as Next.js `basePath` (`/docs`). Default: the bundler's (Next `basePath`, Vite `base`). */
  basePath?: string
  /** Id written into the manifest. Default: `VERCEL_DEPLOYMENT_ID`, else a random id. */
  buildId?: string
  /**
   * Where the build keeps a copy of its manifest and plan for `image-invalidate apply`, relative to the root.
   * @default 'node_modules/.cache/unplugin-image-invalidate/plan.json'
   */
  planFile?: string
}
