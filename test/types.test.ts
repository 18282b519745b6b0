// @module-tag once
// tsc's answer is the same on every Node: a suite run on several checks it on the first only.
import { mkdir, symlink } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot, run } from './helpers/fixture.js'
import { tempDir } from './helpers/tmp.js'

// A project that depends on the package, type-checked the ways users compile: every entry has its types,
// and they are real (a wrong option is an error, not `any`). Runs on the built dist/ (npm test builds first).

const CONSUMER = `
import imageInvalidate, {
  apply, createAssetWebhookHandler, createWebhookHandler, loadManifest, MANIFEST_FILE_NAME, parseManifest, planBuild, resolveBuildOptions,
  serializeManifest, StrictModeError, unpluginFactory, verifySignature,
  type ApplyOptions, type ApplyReport, type AssetWebhookOptions, type BuildContext, type Manifest, type ManifestLoad, type Options, type WebhookOptions,
  checkRemote, createRemoteCheckHandler, type CheckRemoteReport, type RemoteStateStore,
} from 'unplugin-image-invalidate'
import vite from 'unplugin-image-invalidate/vite'
import webpack from 'unplugin-image-invalidate/webpack'
import rspack from 'unplugin-image-invalidate/rspack'
import rollup from 'unplugin-image-invalidate/rollup'
import esbuild from 'unplugin-image-invalidate/esbuild'
import withImageInvalidateDefault, { withImageInvalidate, type NextConfigFunction } from 'unplugin-image-invalidate/next'
import astro from 'unplugin-image-invalidate/astro'
import nuxt, { type NuxtLike } from 'unplugin-image-invalidate/nuxt'
import * as routes from 'unplugin-image-invalidate/routes'

const options: Options = { dryRun: true, include: ['**/*.png'], baseline: false }
export const plugins = [vite(options), webpack(options), rspack(), rollup(), esbuild(), imageInvalidate.vite()]
export const nextConfig = withImageInvalidate({ basePath: '/docs' }, options)
export const nextConfigFunction: NextConfigFunction = withImageInvalidateDefault(async () => ({ basePath: '/docs' }))
export const integrationName: string = astro(options).name
export const nuxtModule: (options: Options, nuxt: NuxtLike) => void = nuxt
export const factory = unpluginFactory
const applyOptions: ApplyOptions = { siteUrl: 'https://example.com', timeoutMs: 60_000 }
export const report: Promise<ApplyReport> = apply(applyOptions)
const webhookOptions: WebhookOptions = { secret: 'whsec', deadlineMs: 20_000 }
export const handler: (request: Request) => Promise<Response> = createWebhookHandler(webhookOptions)
export const verified: boolean = verifySignature(new Uint8Array(), null, 'whsec')
const assetOptions: AssetWebhookOptions = {
  provider: 'storyblok',
  remotePatterns: [{ protocol: 'https', hostname: 'a.storyblok.com' }, new URL('https://cdn.example.com/**')],
  srcImages: async (asset) => [\`https://a.storyblok.com/f/\${asset.spaceId}/\${asset.id}\`],
}
export const assetHandler: (request: Request) => Promise<Response> = createAssetWebhookHandler(assetOptions)
export const loaded: Promise<ManifestLoad> = loadManifest(MANIFEST_FILE_NAME)
const manifest: Manifest = parseManifest('{}')
export const text: string = serializeManifest(manifest)
const context: BuildContext = { root: '.' }
export const planned = planBuild(resolveBuildOptions(options, context), ['dist'], console)
export const strict: Error = new StrictModeError('x')
const store: RemoteStateStore = { get: async () => null, set: async () => {} }
export const checked: Promise<CheckRemoteReport> = checkRemote({ store, siteUrl: 'https://example.com' })
export const cron: (request: Request) => Promise<Response> = createRemoteCheckHandler({ store })
export const remoteOptions: Options = { remoteImages: { watch: ['https://cdn.example.com/**'], budgetMs: 3000 } }
export const remotePlanned: string[] | undefined = manifest.remote && manifest.plan.remoteSrcImages
// @ts-expect-error a store is needed: a Vercel Function has no disk to keep the state on
createRemoteCheckHandler({})

// The route handlers alone, from /routes (no bundler code), with their option types.
const routeWebhookOptions: routes.WebhookOptions = { secret: 'whsec', waitUntil: (promise) => void promise }
export const routeWebhook: (request: Request) => Promise<Response> = routes.createWebhookHandler(routeWebhookOptions)
export const routeVerified: boolean = routes.verifySignature(new Uint8Array(), null, 'whsec')
const routeAssetOptions: routes.AssetWebhookOptions = { provider: 'contentful', secret: 'x', log: (line: string) => void line }
export const routeAsset: (request: Request) => Promise<Response> = routes.createAssetWebhookHandler(routeAssetOptions)
const routeCronOptions: routes.RemoteCheckHandlerOptions = { store, secret: 'cron' }
export const routeCron: (request: Request) => Promise<Response> = routes.createRemoteCheckHandler(routeCronOptions)
export const routeProvider: routes.AssetWebhookProvider = 'cloudinary'
export const routeError: routes.ImageInvalidateErrorCode = 'IMAGE_INVALIDATE_SRC_IMAGES'
// @ts-expect-error a provider the asset webhook does not know
routes.createAssetWebhookHandler({ provider: 'sanity' })
// @ts-expect-error /routes holds the handlers only: no bundler plugin
export const noPlugin = routes.unplugin

// Each entry's types are real (not \`any\`): a wrong option is an error in every one of them.
// @ts-expect-error wrong option type
vite({ dryRun: 'yes' })
// @ts-expect-error wrong option type
webpack({ dryRun: 'yes' })
// @ts-expect-error wrong option type
rspack({ dryRun: 'yes' })
// @ts-expect-error wrong option type
rollup({ dryRun: 'yes' })
// @ts-expect-error wrong option type
esbuild({ dryRun: 'yes' })
// @ts-expect-error wrong option type
astro({ dryRun: 'yes' })
// @ts-expect-error wrong option type
withImageInvalidate({}, { dev: 'yes' })
// @ts-expect-error a Nuxt module takes its options and Nuxt
nuxt({ dryRun: true })
// @ts-expect-error a provider the asset webhook does not know
createAssetWebhookHandler({ provider: 'sanity' })
`

const RETURNS = `
import vite from 'unplugin-image-invalidate/vite'
import webpack from 'unplugin-image-invalidate/webpack'
import rspack from 'unplugin-image-invalidate/rspack'
import rollup from 'unplugin-image-invalidate/rollup'
import esbuild from 'unplugin-image-invalidate/esbuild'
import { withImageInvalidate } from 'unplugin-image-invalidate/next'
import astro from 'unplugin-image-invalidate/astro'

// And what each returns is a real type too: one that is not a number (an \`any\` would be).
// @ts-expect-error not a number
export const n1: number = vite()
// @ts-expect-error not a number
export const n2: number = webpack()
// @ts-expect-error not a number
export const n3: number = rspack()
// @ts-expect-error not a number
export const n4: number = rollup()
// @ts-expect-error not a number
export const n5: number = esbuild()
// @ts-expect-error not a number
export const n6: number = astro()
// @ts-expect-error not a number
export const n7: number = withImageInvalidate({})
`

describe('types for consumers', () => {
  it.each([
    ['bundler', 'esnext'],
    ['node16', 'node16'],
    ['node10', 'commonjs'],
  ])('a project importing every entry type-checks under moduleResolution %s', async (moduleResolution, module) => {
    // What the bundler plugins return is the bundlers' own types, which vite and astro publish for
    // exports-aware resolutions only: under node10 they are not checked.
    const files = moduleResolution === 'node10' ? ['consumer.ts'] : ['consumer.ts', 'returns.ts']
    const dir = await tempDir({
      'consumer.ts': CONSUMER,
      'returns.ts': RETURNS,
      'package.json': JSON.stringify({ name: 'consumer', private: true, type: module === 'commonjs' ? 'commonjs' : 'module' }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution,
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          esModuleInterop: true,
        },
        files,
      }),
    })
    // Installed as npm would link a local package; its own dependencies resolve from the repository.
    await mkdir(path.join(dir, 'node_modules/@types'), { recursive: true })
    await symlink(repoRoot, path.join(dir, 'node_modules/unplugin-image-invalidate'), 'dir')
    await symlink(path.join(repoRoot, 'node_modules/@types/node'), path.join(dir, 'node_modules/@types/node'), 'dir')
    const result = await run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, timeoutMs: 60_000 })
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  })
})
