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
   * How long fetching the baseline may take in all, retries included, in ms. A production site that
   * accepts connections and never answers then costs the build this long at most, and a warning; it
   * never fails the build unless `strict` is set.
   * @default 10000
   */
  baselineTimeoutMs?: number
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
   * Keep each build's digests next to the local plan (`hashes.json`), so that the next build reads only
   * the files whose size, times or inode changed. A fresh clone hashes everything, which is always right.
   * @default true, except when `CI` or `VERCEL` is set: they build from a fresh checkout, where no stamp
   * can match
   */
  cache?: boolean
  /**
   * Where the build keeps a copy of its manifest and plan for `image-invalidate apply`, relative to the root.
   * @default 'node_modules/.cache/unplugin-image-invalidate/plan.json'
   */
  planFile?: string
}

/** Options of `withImageInvalidate`: the plugin's, and what it does in `next dev`. */
export interface NextOptions extends Options {
  /**
   * In `next dev`, watch the public folder and, when an image's bytes change or it is removed, remove that
   * image's entries (and only those) from Next.js's image cache (`.next/dev/cache/images`), so that
   * `next/image` serves the new picture at once instead of the old one for up to `images.minimumCacheTTL`
   * (4 hours since Next.js 16), dev-server restarts included. `false` turns it off; so do `enabled: false`
   * and `IMAGE_INVALIDATE=0`.
   * @default true
   */
  dev?: boolean
}

/** Options of phase 2: `apply()`, the `image-invalidate apply` command and the webhook handler. */
export interface ApplyOptions {
  /** Project root: where `.vercel/project.json` and the local plan file are. Default: the current directory. */
  root?: string
  /**
   * The manifest of the deployment going live (D): a file or URL. Default: the local plan file the build
   * wrote, or, when `deployment` names another deployment, the manifest that deployment serves.
   */
  plan?: string
  /**
   * The deployment live before the flip (P): a deployment id (`dpl_…`), a deployment or site URL, or a
   * manifest file. Default: what the site served before the flip, else the project's `lastAliasRequest`,
   * else the build-time plan.
   */
  from?: string
  /**
   * Wait until production serves D before sending anything. Default: wait whenever a deployment or a site
   * is known to watch, and refuse to run (a usage error) when neither is; `false` sends at once, the caller
   * saying that the flip has happened.
   */
  wait?: boolean
  /** D's deployment id or URL: production is watched through the API until it serves it. */
  deployment?: string
  /** Production origin polled for D's `buildId` when no deployment is known. Default as in `Options.siteUrl`. */
  siteUrl?: string
  /** Prefix of the site's paths, as Next.js `basePath`: where a deployment serves its manifest. Default: ''. */
  basePath?: string
  /** Plan and print, send nothing. Environment: `IMAGE_INVALIDATE_DRY_RUN`. */
  dryRun?: boolean
  /** Invalidation calls in flight at once, 1 to 16. @default 4 */
  concurrency?: number
  /** How long to wait for the deployment to go live, in ms. @default 600000 (10 minutes) */
  timeoutMs?: number
  /** First pause between two live checks, in ms; it grows by a fifth each time, up to 2 s. @default 1000 */
  pollIntervalMs?: number
  /**
   * Use `dangerously-delete-by-src-images`: the next request regenerates in the foreground, which can
   * stampede the origin. Only for images whose source is gone and must not be served stale.
   * @default false
   */
  dangerouslyDelete?: boolean
  /** Vercel access token. Default: `VERCEL_TOKEN`. */
  token?: string
  /** Project id or name. Default: `VERCEL_PROJECT_ID`, else `.vercel/project.json`. */
  projectId?: string
  /** Team id. Default: `VERCEL_TEAM_ID`, `VERCEL_ORG_ID`, else a `team_` `orgId` in `.vercel/project.json`. */
  teamId?: string
  /** Team slug, when no team id is known. */
  teamSlug?: string
  /** REST API origin. Default: `IMAGE_INVALIDATE_API_URL`, else `https://api.vercel.com`. */
  apiUrl?: string
  /** Retries per call after the first attempt, for 429, 5xx, timeouts and resets. @default 4 */
  retries?: number
  /** Connect, response and body timeout of each API request, in ms. @default 15000 */
  requestTimeoutMs?: number
  /** Environment to read instead of `process.env`. */
  env?: Record<string, string | undefined>
  /** Progress lines (waiting, each call). Default: none. */
  log?: (line: string) => void
}
