import { appendFile, mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { apply } from '../apply/apply.js'
import { countOf, LOG_PREFIX, type Logger } from '../shared/format.js'
import { resolveBuildOptions } from '../plugin/options.js'
import { planBuild, type BuildPlanResult } from '../plugin/plan-build.js'
import { startDemoApi, startDemoSite, type DemoApi, type DemoSite } from './stand-ins.js'

// `image-invalidate demo`: both phases on this machine, with no account and no network. Two production
// builds of a set of images made in a temporary folder (phase 1, as every integration runs it), then `apply`
// against loopback stand-ins for the production site, each deployment's URL and Vercel's API, with a promotion
// part-way (phase 2). Nothing is written outside that folder, which is removed at the end.

export interface DemoOptions {
  /** Where the story is told. Default: stdout. */
  write?: (text: string) => void
  /** How long after `apply` starts the new deployment is promoted. @default 2000 */
  promoteAfterMs?: number
}

const TOKEN = 'demo-token'
const PROJECT = 'prj_demo'
/** A 1x1 PNG; each image is it plus a few bytes of its own after the end, so that each has its own hash. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const GALLERY = Array.from({ length: 12 }, (_, index) => `gallery/photo-${String(index + 1).padStart(2, '0')}.png`)

/** Runs the demo; resolves to the exit code, 0 when every image of the flip was invalidated. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text))
  const line = (text: string) => write(`  ${text}\n`)
  const say = (text: string) => write(`\n${text}\n`)
  const dir = await mkdtemp(path.join(tmpdir(), 'image-invalidate-demo-'))
  const production = await startDemoSite()
  const api = await startDemoApi({ token: TOKEN, projectId: PROJECT })
  const deploymentSites: DemoSite[] = []
  try {
    const publicDir = path.join(dir, 'public')
    await writeImages(publicDir)
    const deploy = async (id: string, output: string, live: boolean) => {
      const site = await startDemoSite()
      site.serve(output)
      deploymentSites.push(site)
      api.setDeployment(id, { readyState: 'READY', aliasAssigned: live, url: site.origin })
    }

    say(`1. A first production build, dpl_demo_1, of ${countOf(GALLERY.length + 4, 'image')}. The production site (${production.origin}) serves nothing yet.`)
    const first = await build(dir, 'dpl_demo_1', production.origin, line)
    await deploy('dpl_demo_1', first.output, true)
    production.serve(first.output)
    api.promote('dpl_demo_1')
    line('deployed: production serves dpl_demo_1 and its manifest, /_image-invalidate.json')

    say('2. Replace hero.png and ten gallery photos, delete avatar.png, rename "my photo.png", add new.png, touch mark.svg; build dpl_demo_2.')
    await changeImages(publicDir)
    const second = await build(dir, 'dpl_demo_2', production.origin, line)
    describePlan(second.result, line)
    await deploy('dpl_demo_2', second.output, false)

    const promoteAfterMs = options.promoteAfterMs ?? 2000
    say(
      `3. image-invalidate apply: it watches production through the API (the stand-in at ${api.origin}), reads the site to see what was live, ` +
        `sends nothing before dpl_demo_2 is live, then what changed at the flip. Promoting dpl_demo_2 in ${promoteAfterMs / 1000} s.`,
    )
    const promotion = { at: Infinity }
    const promote = setTimeout(() => {
      production.serve(second.output)
      api.promote('dpl_demo_2')
      promotion.at = Date.now()
      line('promoted: production serves dpl_demo_2')
    }, promoteAfterMs)
    const report = await apply({
      root: dir,
      plan: second.result.written.at(-1),
      siteUrl: production.origin,
      apiUrl: api.origin,
      token: TOKEN,
      projectId: PROJECT,
      dryRun: false,
      env: {},
      log: (text) => line(`${LOG_PREFIX} ${text}`),
    }).finally(() => clearTimeout(promote))
    if (report.error) line(`error: ${report.error}`)

    say('4. What the Vercel API stand-in received:')
    describeCalls(api, promotion.at, line)
    const planned = second.result.manifest.plan.srcImages
    const added = report.invalidated.filter((src) => !planned.includes(src))
    say(
      `${countOf(report.invalidated.length, 'source image')} invalidated in ${countOf(api.invalidations.length, 'call')}: the ${planned.length} changed or removed ` +
        `ones the build planned, and the ${added.length} added ones (${added.join(', ')}): a flip sends added names too, since a name can come back ` +
        '(a rollback, a re-added file) with variants of other bytes cached.',
    )
    return report.ok ? 0 : 1
  } finally {
    await Promise.all([production.close(), api.close(), ...deploymentSites.map((site) => site.close())])
    await rm(dir, { recursive: true, force: true })
  }
}

/** A production build's phase 1, as every integration runs it, into `deployments/<id>/`, the deployment's output. */
async function build(dir: string, buildId: string, siteUrl: string, line: (text: string) => void): Promise<{ result: BuildPlanResult; output: string }> {
  const output = path.join(dir, 'deployments', buildId)
  // The environment of a Vercel production build, and nothing of the caller's: the demo is the same anywhere.
  const options = resolveBuildOptions({ buildId, siteUrl, cache: false }, { root: dir, env: { VERCEL_ENV: 'production' } })
  const logger: Logger = { info: line, warn: line }
  const result = await planBuild(options, [output], logger)
  if (!result) throw new Error(`the demo's build ${buildId} planned nothing`)
  return { result, output }
}

async function writeImages(publicDir: string): Promise<void> {
  const names = ['images/hero.png', 'images/my photo.png', 'avatar.png', ...GALLERY]
  for (const [index, name] of names.entries()) {
    await mkdir(path.dirname(path.join(publicDir, name)), { recursive: true })
    await writeFile(path.join(publicDir, name), Buffer.concat([PIXEL, Buffer.from(`image ${index}`)]))
  }
  await mkdir(path.join(publicDir, 'icons'))
  await writeFile(path.join(publicDir, 'icons/mark.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n')
}

async function changeImages(publicDir: string): Promise<void> {
  const image = (name: string) => path.join(publicDir, name)
  await appendFile(image('images/hero.png'), ' replaced')
  for (const name of GALLERY.slice(0, 10)) await appendFile(image(name), ' retouched')
  await rm(image('avatar.png'))
  await rename(image('images/my photo.png'), image('images/my picture.png'))
  await writeFile(image('images/new.png'), Buffer.concat([PIXEL, Buffer.from('new')]))
  // A later modification time, the same bytes: not a change.
  await utimes(image('icons/mark.svg'), new Date(), new Date(Date.now() + 60_000))
}

function describePlan(result: BuildPlanResult, line: (text: string) => void): void {
  const { srcImages } = result.manifest.plan
  line(`planned (${srcImages.length}), changed or removed since dpl_demo_1:`)
  for (const src of srcImages) line(`  ${src}`)
  line('not planned:')
  for (const key of result.diff?.added ?? []) line(`  ${key}: added: the live deployment has no variant of it to cache`)
  if (!srcImages.includes('/icons/mark.svg')) line('  /icons/mark.svg: touched, but its bytes are the same, so its cached variants are still right')
}

function describeCalls(api: DemoApi, promotedAt: number, line: (text: string) => void): void {
  for (const [index, call] of api.invalidations.entries()) {
    const seconds = Math.abs(call.at - promotedAt) / 1000
    const when = call.at >= promotedAt ? `${seconds.toFixed(1)} s after the promotion` : `${seconds.toFixed(1)} s BEFORE the promotion`
    line(
      `call ${index + 1}, ${when}: POST ${call.path}?projectIdOrName=${call.projectIdOrName} -> ${call.status}, ${countOf(call.srcImages.length, 'source image')}`,
    )
    for (const src of call.srcImages) line(`  ${src}`)
  }
}
