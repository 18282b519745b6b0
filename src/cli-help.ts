/** What `image-invalidate --help` and each command's `--help` print. */
export const HELP = {
  main: `image-invalidate: invalidate exactly the changed public images on Vercel's image CDN

Usage:
  image-invalidate plan  [options]   what would be invalidated now (writes nothing)
  image-invalidate apply [options]   invalidate the plan of the last build once it is live
  image-invalidate prune-next-cache [options]
                                     remove a release's changed images from a self-hosted Next.js's
                                     own image cache (.next/cache/images) before next start
  image-invalidate init  [options]   set the app up: the plugin in its config, and how apply runs
                                     (a webhook route and the Vercel webhook, a GitHub workflow, or CI)
  image-invalidate doctor [options]  check a set-up end to end, one line per check
  image-invalidate check-remote [options]
                                     between deploys: invalidate the live deployment's remote images
                                     whose bytes changed since the last check (or its build)
  image-invalidate demo              both phases against loopback stand-ins: no account, no network

Run 'image-invalidate <command> --help' for a command's options.
Exit codes: 0 done (or nothing to do), 1 some image was not invalidated, 2 usage error (including an
apply with nothing to watch for the flip and no --no-wait).`,
  plan: `Usage: image-invalidate plan [--dir public] [--baseline URL|FILE] [--base-path /docs] [--json]

Hashes the images in the public folder and compares them with a baseline manifest, printing the source
images a build would plan to invalidate. With the pages of a last build there (Next.js's .next/server,
or .vercel/output/static), it fingerprints the remote images they show and lists those that changed
apart ("remote <url>"). Writes nothing.

  --dir DIR             the public folder (default: public)
  --baseline URL|FILE   the live deployment's manifest (default: IMAGE_INVALIDATE_BASELINE, else
                        <IMAGE_INVALIDATE_SITE_URL>/_image-invalidate.json)
  --base-path PATH      prefix of every source image, as Next.js basePath (default: the baseline
                        manifest's, else the project's Next.js basePath or Vite base)
  --json                print one JSON document
  -h, --help            this text`,
  apply: `Usage: image-invalidate apply [--plan FILE|URL] [--deployment ID|URL] [--site URL] [--base-path /docs] [--from ID|URL|FILE]
                              [--no-wait | --wait] [--timeout 10m] [--concurrency N] [--dry-run] [--dangerously-delete]
                              [--project ID] [--team ID|SLUG] [--json]

At a production flip, from the deployment that was live (P) to the one now live (D): waits until
production serves D (and a rolling release toward it is complete), then invalidates the source images
that changed, went or appeared between P and D, through Vercel's invalidate-by-src-images API in calls
of at most 8. Nothing is sent before the flip.
Credentials come from VERCEL_TOKEN, VERCEL_PROJECT_ID and VERCEL_TEAM_ID (or .vercel/project.json).

  --plan FILE|URL        D's manifest (default: node_modules/.cache/unplugin-image-invalidate/plan.json,
                         written by the build; with --deployment, that deployment's own manifest)
  --deployment ID|URL    D: production is watched through the API until it serves this deployment
  --site URL             the production origin, polled until it serves D's build when no deployment is
                         known (default: IMAGE_INVALIDATE_SITE_URL, else https://$VERCEL_PROJECT_PRODUCTION_URL)
  --base-path PATH       where deployments serve their manifest, as Next.js basePath (/docs): needed
                         with --deployment and no --plan when the site has a basePath
  --from ID|URL|FILE     P: a deployment id, a deployment or site URL, or a manifest file (default: what
                         the site served before the flip, else the project's lastAliasRequest, else the
                         build-time plan)
  --no-wait              send at once: production already serves D
  --wait                 wait until production serves D (the default whenever there is something to watch)
  --timeout DURATION     how long to wait, e.g. 90s, 10m (default: 10m)
  --concurrency N        calls in flight at once, 1 to 16 (default: 4)
  --dry-run              send nothing; check what a real run needs (token, project, team, the API,
                         the deployment, what tells that D is live), one line each with its fix, and
                         print what would be sent; exit 0 when a real run would start, 1 when it would
                         stop (also IMAGE_INVALIDATE_DRY_RUN=1)
  --dangerously-delete   use dangerously-delete-by-src-images: the next request regenerates in the
                         foreground, which can stampede the origin
  --project ID           the project id or name (default: VERCEL_PROJECT_ID)
  --team ID|SLUG         the team: its id (team_...) or its slug (default: VERCEL_TEAM_ID)
  --json                 print one JSON document
  -h, --help             this text`,
  'prune-next-cache': `Usage: image-invalidate prune-next-cache [--dir .next] [--from ID|URL|FILE] [--plan FILE|URL] [--dry-run] [--json]

For a self-hosted next start that keeps <distDir>/cache between releases (a volume, a kept build
cache): removes from Next.js's image cache (<dir>/cache/images) exactly the entries of the source
images that changed, went or appeared between the release that filled it (P) and the one about to
serve (D), then records D's manifest beside the cache as the next release's P. Run it before next
start. A custom cacheHandler (images.customCacheHandler) is not reached.

  --dir DIR              Next.js's distDir (default: .next)
  --from ID|URL|FILE     P: a manifest file, a site or deployment URL, or a Vercel deployment id
                         (default: the manifest recorded in <dir>/cache by the last prune; without
                         one, the entries of every image of D are removed)
  --plan FILE|URL        D's manifest (default: public/_image-invalidate.json, written by next build,
                         else node_modules/.cache/unplugin-image-invalidate/plan.json)
  --dry-run              count what would be removed; remove and record nothing
  --json                 print one JSON document
  -h, --help             this text

Exit codes: 0 done (an unreadable --from falls back to every image of D, and says so; a build with no
image cache yet has nothing to remove), 1 D's manifest could not be read, --dir holds no Next.js build
(no BUILD_ID), or the cache could not be pruned, 2 usage error.`,
  demo: `Usage: image-invalidate demo

Both phases on this machine, with no Vercel account and no network: two production builds of a set of
images made in a temporary folder, then apply against loopback stand-ins for the production site, each
deployment's URL and Vercel's API, with a promotion part-way. Prints what each build planned, when each
invalidation call was sent and what it held. Writes nothing outside its temporary folder, which it removes.
Exit codes: 0 every image of the flip was invalidated, 1 otherwise.

  -h, --help             this text`,
  init: `Usage: image-invalidate init [--way webhook|github|ci] [--url URL] [--yes] [--dry-run] [--project ID] [--team ID|SLUG]

Run in the app's folder (Next.js, Astro, Nuxt, SvelteKit, React Router or Vite). Adds the plugin to the
framework's config (edited with magicast, or created minimal when the app has none; a config of another
shape is left alone, with the lines to add),
lists the manifest in .gitignore where the framework writes it into a source folder, and sets up how apply
runs at each production flip:
  webhook  writes the webhook route (createWebhookHandler), creates the project's Vercel webhook for
           deployment.promoted, deployment.rollback and the end of rolling releases at
           <production URL><base path>/api/image-invalidate, and stores the secret it returns as
           IMAGE_INVALIDATE_WEBHOOK_SECRET (encrypted) for Production. Needs VERCEL_TOKEN and the
           project (.vercel/project.json, VERCEL_PROJECT_ID or --project). Account webhooks need a Pro
           or Enterprise team. Your token is stored on the project only if you say yes when asked.
  github   writes .github/workflows/invalidate-images.yml at the git repository's root, its steps
           in the app's folder (a monorepo's apps/web)
  ci       prints the step for a CI that deploys itself
In a terminal it asks, shows every change, and asks before making them. A second run changes nothing.

  --way WAY              webhook, github or ci (default: webhook where the framework has server routes,
                         else github; asked in a terminal)
  --url URL              the production origin (default: the project's production domain), or the
                         route's full URL
  -y, --yes              ask nothing: take the defaults (never stores your token)
  --dry-run              print every change (the config's diff, the files, the API calls), make none
  --project ID           the project id or name (default: VERCEL_PROJECT_ID, else .vercel/project.json)
  --team ID|SLUG         the team: its id (team_...) or its slug (default: VERCEL_TEAM_ID)
  -h, --help             this text

Exit codes: 0 set up (or nothing to change), 1 stopped with nothing changed (a refusal from Vercel, a
config of another shape), 2 usage error (no token or project, no terminal and no --yes).`,
  doctor: `Usage: image-invalidate doctor [--url URL] [--json] [--project ID] [--team ID|SLUG]

Checks a set-up end to end and prints one line per check, with the fix for each that fails: the plugin
is in the config; the token reads the project; the production deployment serves its manifest (with
VERCEL_AUTOMATION_BYPASS_SECRET when deployments are protected); a webhook of the project points at the
route with every event it needs, and the route answers an unsigned POST with 401 (deployed, with its
secret); IMAGE_INVALIDATE_WEBHOOK_SECRET exists for Production. The webhook checks are skipped when
apply runs from a GitHub workflow or your CI. No check invalidates or changes anything.

  --url URL              the production origin (default: the project's production domain), or the
                         route's full URL
  --json                 print one JSON document
  --project ID           the project id or name (default: VERCEL_PROJECT_ID, else .vercel/project.json)
  --team ID|SLUG         the team (default: VERCEL_TEAM_ID)
  -h, --help             this text

Exit codes: 0 every check passed, 1 some check failed, 2 usage error.`,
  'check-remote': `Usage: image-invalidate check-remote [--site URL] [--manifest URL|FILE] [--state FILE] [--dry-run] [--json]

Between deploys (a scheduled job): re-fingerprints the remote source images the live deployment's
manifest records (ETag, Last-Modified and length, or SHA-256), asking conditionally, and invalidates
those whose bytes changed since the last run for that deployment, else since its build: each change is
sent once. What was last seen and sent is kept in --state.
Credentials come from VERCEL_TOKEN, VERCEL_PROJECT_ID and VERCEL_TEAM_ID (or .vercel/project.json).

  --site URL             the production origin (default: IMAGE_INVALIDATE_SITE_URL, else
                         https://$VERCEL_PROJECT_PRODUCTION_URL)
  --manifest URL|FILE    the live deployment's manifest (default: <site><base-path>/_image-invalidate.json)
  --base-path PATH       where the site serves its manifest, as Next.js basePath (/docs)
  --state FILE           where the last run's fingerprints are kept (default:
                         node_modules/.cache/unplugin-image-invalidate/remote-state.json)
  --dry-run              print what changed, send nothing, keep no state (also IMAGE_INVALIDATE_DRY_RUN=1)
  --project ID           the project id or name (default: VERCEL_PROJECT_ID)
  --team ID|SLUG         the team: its id (team_...) or its slug (default: VERCEL_TEAM_ID)
  --json                 print one JSON document
  -h, --help             this text

Exit codes: 0 every change invalidated (or none), 1 otherwise, 2 usage error.`,
}
