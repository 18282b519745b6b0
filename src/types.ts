import type { ImageInvalidateErrorCode } from './core/errors.js'

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
   * Globs, relative to the public directory, of the files to track, matched case-insensitively:
   * `'**\/*.jpg'` takes `HERO.JPG` too.
   * @default ['**\/*.{png,jpg,jpeg,webp,avif,gif,svg,ico,bmp,tif,tiff}']
   */
  include?: string | string[]
  /**
   * Globs, relative to the public directory, of the files to leave out, matched case-insensitively as
   * `include` is: `'drafts/**'` leaves out `Drafts/` too. Matching folders are not walked.
   */
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
   * The deployment live before the flip (P): how it was found (`via`, a stable code; `viaText`, the same for
   * people, which may be reworded), and its build; `buildId` is the build-time baseline when P could not be
   * determined and the build-time plan was used instead (`via: 'build-plan'`).
   */
  previous: { via: PreviousVia; viaText: string; buildId: string | null } | null
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
  /** What stopped the run before or during the calls, in one sentence for people. */
  error?: string
  /** The stable code of `error` (`IMAGE_INVALIDATE_…`, see `ImageInvalidateError`): match on this, not on the sentence. */
  errorCode?: ImageInvalidateErrorCode
  /** Set when the caller must say more (the CLI exits 2): nothing tells when the deployment is live. */
  usage?: true
  /**
   * A dry run only: what a real run needs, each found or not, and every source of D and P used or ignored.
   * `ok` is then true when a real run would start; `error` and `errorCode` are the first problem's.
   */
  checks?: PreflightCheck[]
  /**
   * Set when nothing was sent because a rolling release toward the deployment is still moving traffic and
   * the trigger said its end would come as an event of its own (the webhook, on `deployment.promoted`).
   */
  deferred?: string
}

/** One thing a real run of `apply` needs, or one source of D or P, as a dry run (and `doctor`) finds it. */
export interface PreflightCheck {
  /** What was checked: the token, project, team, API origin, the named deployment, D, what tells that D is live, P. */
  subject: 'token' | 'project' | 'team' | 'api' | 'deployment' | 'plan' | 'watch' | 'previous'
  /**
   * `ok`: a real run has it. `problem`: a real run would stop on it, and `fix` says what to do. `note`: a
   * source used or ignored, or what a real run does that a dry run cannot (wait for the flip).
   */
  status: 'ok' | 'problem' | 'note'
  /** One line for people, without secrets. */
  message: string
  fix?: string
  /** For a problem: the code a real run would stop with. */
  code?: ImageInvalidateErrorCode
}

/**
 * How the deployment that was live before the flip (P) was found, as a stable code, in the order they are
 * tried (the first that gives a manifest is P):
 * - `rollout-base`: a rolling release toward D ended without it; P is the deployment production serves now.
 * - `from`: named by the caller (`--from`, the `from` option).
 * - `rollback-event`: the `deployment.rollback` event's `fromDeploymentId`.
 * - `rolling-release-event`: the `project.rolling-release.completed` event's base deployment.
 * - `site-before`: what the production site served before the flip, seen while waiting.
 * - `production-before`: what the API showed production serving before the flip, seen while waiting.
 * - `last-alias-request`: the project's last promotion or rollback (`lastAliasRequest`), when it led to D.
 * - `build-plan`: none of them: the build-time plan (D against what was live when D's build started).
 */
export type PreviousVia =
  'rollout-base' | 'from' | 'rollback-event' | 'rolling-release-event' | 'site-before' | 'production-before' | 'last-alias-request' | 'build-plan'

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

/** The services `createAssetWebhookHandler` takes asset events from. */
export type AssetWebhookProvider = 'contentful' | 'strapi' | 'contentstack' | 'storyblok' | 'cloudinary' | 'generic'

/** One entry of `images.remotePatterns`, in Next.js's shape (`new URL('https://cdn.example.com/**')` is taken too). */
export interface AssetRemotePattern {
  protocol?: 'http' | 'https'
  hostname: string
  port?: string
  pathname?: string
  search?: string
}

/** An asset an event is about, as `srcImages` sees it. */
export interface AssetWebhookAsset {
  provider: AssetWebhookProvider
  /** The provider's name for what happened: `ContentManagement.Asset.publish`, `media.update`, `asset.replaced`, `upload`… */
  event: string
  /** The asset's id at the provider, where the payload gives one (Storyblok's `asset_id`, Contentful's `sys.id`). */
  id?: string
  /** Storyblok's `space_id`, for looking the asset up in its Management API. */
  spaceId?: string
  /**
   * The source URLs the payload gives: `https:` for protocol-relative ones, resolved against `baseUrl` for
   * paths (Strapi's `/uploads/…`; left as paths when `baseUrl` is not set).
   */
  urls: string[]
  /** The parsed body, as the provider sent it. */
  payload: unknown
}

/** Options of `createAssetWebhookHandler()`. */
export interface AssetWebhookOptions extends Pick<
  ApplyOptions,
  'token' | 'projectId' | 'teamId' | 'teamSlug' | 'apiUrl' | 'root' | 'concurrency' | 'retries' | 'requestTimeoutMs' | 'env' | 'log'
> {
  /** Which service sends the events, and so how they are signed and read. */
  provider: AssetWebhookProvider
  /**
   * The shared secret: Contentful's webhook signing secret, Cloudinary's API secret, Storyblok's webhook
   * secret, the token Strapi sends as `Authorization: Bearer …`, the Basic Auth password set on the
   * Contentstack webhook, or the HMAC key of the generic form. Default: `IMAGE_INVALIDATE_ASSET_SECRET`.
   */
  secret?: string
  /**
   * The remote images Vercel optimizes, in the shape of Next.js's `images.remotePatterns`: only URLs they
   * allow are sent. Default: the app's own image config, read from Next.js's build output
   * (`.next/required-server-files.json`, which `next start` and Vercel's functions both have). Needed outside
   * Next.js, or with a `distDir` other than `.next`.
   */
  remotePatterns?: ReadonlyArray<AssetRemotePattern | URL>
  /**
   * The source URLs to invalidate for an asset, when pages do not use the URL the provider gives: a query
   * string added (`?w=…` is not one: `next/image` adds that to the optimizer URL, not to `src`), a proxy
   * host, or a provider whose events carry only an id (Storyblok). Default: `asset.urls`.
   */
  srcImages?: (asset: AssetWebhookAsset) => readonly string[] | Promise<readonly string[]>
  /**
   * The origin a relative asset URL is served from: Strapi's local upload provider gives `/uploads/…`, which
   * pages load from the Strapi server (`https://cms.example.com`).
   */
  baseUrl?: string
  /**
   * Oldest signature accepted, in seconds, where the provider signs a timestamp (Contentful, Cloudinary).
   * @default 300 for Contentful, 7200 for Cloudinary (the window of Cloudinary's own SDK, which covers its retries)
   */
  maxAgeSeconds?: number
  /**
   * Keeps the function alive after the response, as `waitUntil` from `@vercel/functions`. With it the
   * handler answers 202 at once, with what it is sending and what it skipped, and sends afterwards.
   */
  waitUntil?: (promise: Promise<unknown>) => void
  /** Largest body accepted, in bytes. @default 1048576 */
  maxBodyBytes?: number
  /** Without `waitUntil`: answer by then (202), and let the sending go on. @default 25000 */
  deadlineMs?: number
  /**
   * Takes the handler's lines: one per event (the event and its asset, `sent N, skipped M, failed K` with the
   * first failure and skip) and one per refused request, each without secrets. Default: stdout, and stderr
   * for failures and refusals, where Vercel's function logs and `next start` show them.
   */
  log?: (line: string) => void
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
  /** What stopped the run, in one sentence for people. */
  error?: string
  /** The stable code of `error` (`IMAGE_INVALIDATE_…`): match on this, not on the sentence. */
  errorCode?: ImageInvalidateErrorCode
}

/** Options of `createRemoteCheckHandler()`: those of `checkRemote()`, and the route's own. */
export interface RemoteCheckHandlerOptions extends CheckRemoteOptions {
  /** The secret Vercel Cron Jobs send as `Authorization: Bearer …`. Default: `CRON_SECRET`. */
  secret?: string
  /**
   * Takes the route's lines: one per run (`checked N, changed M, sent K, failed F` with the first failure),
   * one per refused request, and `checkRemote`'s progress lines, each without secrets. Default: the run's and
   * the refusals' lines on stdout, and stderr when something failed; no progress lines.
   */
  log?: (line: string) => void
}
