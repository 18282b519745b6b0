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
  /**
   * Remote source images (`https://cdn.example.com/a.png` in a `src`): at the end of each production build,
   * the ones the built pages show through Vercel's optimizer, and those the image config allows, are
   * fingerprinted and recorded in the manifest; at each flip, those whose fingerprint changed (or that the
   * new deployment no longer shows) are invalidated with the public images. `false` turns it off.
   * @default true
   */
  remoteImages?: boolean | RemoteImagesOptions
}

/** How the build looks for and fingerprints remote source images. */
export interface RemoteImagesOptions {
  /**
   * Remote images that pages render on demand (not in the build's output) to watch as well: URLs, or URL
   * patterns with `*` (`https://cdn.example.com/banners/**`, read as Next.js reads a URL in
   * `images.remotePatterns`) matched against every URL in the build's output, server code and data included.
   */
  watch?: string[]
  /**
   * The most fingerprinting may add to a build, in ms: what is not done by then is left out of this build's
   * fingerprints with a warning (and so never counts as changed). It never fails a build.
   * @default 5000
   */
  budgetMs?: number
  /** Each request's most, in ms. @default 3000 */
  requestTimeoutMs?: number
  /** Requests in flight at once (per origin, on keep-alive connections). @default 32 */
  concurrency?: number
  /**
   * Fingerprint images whose host is a private address (loopback, 10.x, ...). Next.js's
   * `images.dangerouslyAllowLocalIP` turns it on for a Next.js app; Vercel's optimizer never fetches
   * from one. @default false
   */
  dangerouslyAllowLocalIP?: boolean
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
  /**
   * The team that owns the project: its id (`team_…`) or its slug (`acme-web`, as `vercel --scope` takes it).
   * Default: `VERCEL_TEAM_ID`, else a `team_` id in `VERCEL_ORG_ID` or `.vercel/project.json` (another
   * `orgId` is a personal account: no team is sent).
   */
  teamId?: string
  /** Team slug, when no team is known otherwise. */
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

/** Options of `createWebhookHandler()`: those of `apply()` it passes on, and the handler's own. */
export interface WebhookOptions extends Omit<ApplyOptions, 'plan' | 'from' | 'wait' | 'deployment' | 'siteUrl'> {
  /** The webhook's secret, from the Vercel dashboard. Default: `IMAGE_INVALIDATE_WEBHOOK_SECRET`. */
  secret?: string
  /**
   * Keeps the function alive after the response, as `waitUntil` from `@vercel/functions`. With it, the
   * handler answers 202 at once and finishes the invalidations afterwards.
   */
  waitUntil?: (promise: Promise<unknown>) => void
  /** Largest body accepted, in bytes. @default 1048576 */
  maxBodyBytes?: number
  /** Without `waitUntil`: answer by then, and let the work go on. Vercel waits 30 seconds. @default 25000 */
  deadlineMs?: number
}

/** What `apply()` resolves to, and `image-invalidate apply --json` prints. */
export interface ApplyReport {
  /** True when every source image of the flip was invalidated, or there was nothing to do. */
  ok: boolean
  dryRun: boolean
  /** The deployment now live (D): where its manifest came from, its build, and its build-time baseline. */
  plan: { source: string; buildId: string; baseline: string | null } | null
  /**
   * The deployment live before the flip (P), how it was found, and its build; `buildId` is the build-time
   * baseline when P could not be determined and the build-time plan was used instead.
   */
  previous: { via: PreviousVia; buildId: string | null } | null
  /** The source images of the flip: changed, removed or added between P and D. */
  planned: string[]
  /**
   * The remote source images of the flip (issue 28), listed apart: URLs whose fingerprint differs between
   * P's and D's manifests, or that D no longer shows. Sent with `planned`; `invalidated` and `failed` hold both.
   */
  plannedRemote: string[]
  invalidated: string[]
  failed: FailedImage[]
  /** Every invalidation call, in the order they ended. */
  calls: BatchRecord[]
  /** Requests retried after 429, 5xx, a timeout or a reset. */
  retried: number
  /** How the flip was seen, and how long the wait took. */
  waited: { on: string; ms: number } | null
  /** What stopped the run before or during the calls, in one sentence. */
  error?: string
  /** Set when the caller must say more (the CLI exits 2): nothing tells when the deployment is live. */
  usage?: true
  /**
   * Set when nothing was sent because a rolling release toward the deployment is still moving traffic and
   * the trigger said its end would come as an event of its own (the webhook, on `deployment.promoted`).
   */
  deferred?: string
}

/** How the deployment that was live before the flip (P) was found. */
export type PreviousVia =
  | '--from'
  | 'the rollback event'
  | 'the rolling release event'
  | 'the production site before the flip'
  | 'production before the flip'
  | 'lastAliasRequest'
  | 'production after the rolling release ended'
  | 'the build-time plan'

export interface BatchRecord {
  srcImages: string[]
  /** `ok`, or why the call failed. */
  outcome: 'ok' | 'rejected' | 'failed'
  reason?: string
}

export interface FailedImage {
  srcImage: string
  reason: string
}

/**
 * Where `check-remote` keeps what it last saw and sent. `get` and `set` as Vercel's Runtime Cache has them
 * (`getCache()` of @vercel/functions), so that store can be passed as it is; any key-value store fits.
 */
export interface RemoteStateStore {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<void>
}

/** Options of `checkRemote()`, the `image-invalidate check-remote` command and its route handler. */
export interface CheckRemoteOptions extends Pick<ApplyOptions, 'root' | 'token' | 'projectId' | 'teamId' | 'teamSlug' | 'apiUrl' | 'env' | 'log'> {
  /** Where the state is kept between runs. */
  store: RemoteStateStore
  /** The live deployment's manifest: a URL or file. Default: `<siteUrl><basePath>/_image-invalidate.json`. */
  manifest?: string
  /** The production origin. Default: `IMAGE_INVALIDATE_SITE_URL`, else `https://$VERCEL_PROJECT_PRODUCTION_URL`. */
  siteUrl?: string
  /** Prefix of the site's paths, as Next.js `basePath`: where the manifest is served. Default: ''. */
  basePath?: string
  /** Check and print, send nothing, keep no state. Environment: `IMAGE_INVALIDATE_DRY_RUN`. */
  dryRun?: boolean
  /** The most fingerprinting may take, in ms. @default 60000 */
  budgetMs?: number
  /** Each request's most, in ms. @default 10000 */
  requestTimeoutMs?: number
  /** Requests in flight at once. @default 16 */
  concurrency?: number
}

/** What `checkRemote()` resolves to, and `image-invalidate check-remote --json` prints. */
export interface CheckRemoteReport {
  /** True when every changed image was invalidated, or nothing changed. */
  ok: boolean
  dryRun: boolean
  /** The live deployment's manifest: where it was read, and its build. */
  live: { source: string; buildId: string } | null
  /** Remote images checked. */
  checked: number
  /** Remote images whose fingerprint changed since the last run (or the build): the ones to send. */
  changed: string[]
  invalidated: string[]
  failed: FailedImage[]
  /** Remote images that could not be fingerprinted this run, and why: checked again next run. */
  unreachable: Array<{ url: string; reason: string }>
  calls: BatchRecord[]
  /** What stopped the run, in one sentence. */
  error?: string
}

/** Options of `createRemoteCheckHandler()`: those of `checkRemote()`, and the route's own. */
export interface RemoteCheckHandlerOptions extends CheckRemoteOptions {
  /** The secret Vercel Cron Jobs send as `Authorization: Bearer …`. Default: `CRON_SECRET`. */
  secret?: string
}
