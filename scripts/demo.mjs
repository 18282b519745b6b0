// @ts-check
// npm run demo: the whole story on this machine, with no network and no account.
//
// It builds a copy of fixtures/vite-app (the "live" deployment), changes some images, builds again (the
// plugin plans against the live manifest), then runs `image-invalidate apply` against loopback stand-ins
// for the production site and the Vercel API, "promotes" the new build, and prints what was sent at the
// flip. The fixture itself is left as it was.
import { spawn } from 'node:child_process'
import { appendFile, cp, mkdir, mkdtemp, readFile, rename, rm, symlink, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSite } from '../test/stand-ins/site.mjs'
import { startVercelApi } from '../test/stand-ins/vercel-api.mjs'

const repo = fileURLToPath(new URL('..', import.meta.url))
const vite = path.join(repo, 'node_modules/vite/bin/vite.js')
const cli = path.join(repo, 'dist/cli.js')
const say = (/** @type {string} */ text) => console.log(`\n\u001b[1m${text}\u001b[0m`)

/**
 * Runs a command, streaming the lines that matter, and resolves with its exit code.
 * @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, show?: (line: string) => boolean }} options
 * @returns {Promise<number>}
 */
function run(args, { cwd, env, show = () => true }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let failed = ''
    const onData = (/** @type {Buffer} */ chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() && show(line)) console.log(`  ${line}`)
        failed += `${line}\n`
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0 && args[0] === vite) console.error(failed)
      resolve(code ?? 1)
    })
  })
}

const dir = await mkdtemp(path.join(tmpdir(), 'image-invalidate-demo-'))
const site = await startSite()
const api = await startVercelApi({ token: 'demo-token', projectId: 'prj_demo', latencyMs: 40 })
/** @type {number | undefined} */
let code
try {
  await cp(path.join(repo, 'fixtures/vite-app'), dir, { recursive: true })
  await mkdir(path.join(dir, 'node_modules'))
  await symlink(repo, path.join(dir, 'node_modules/unplugin-image-invalidate'), 'dir')
  await symlink(path.join(repo, 'node_modules/vite'), path.join(dir, 'node_modules/vite'), 'dir')
  // A gallery, so that the plan needs more than one call of 8.
  const hero = await readFile(path.join(dir, 'public/images/hero.png'))
  await mkdir(path.join(dir, 'public/gallery'))
  for (let i = 1; i <= 12; i++)
    await appendFile(path.join(dir, `public/gallery/photo-${String(i).padStart(2, '0')}.png`), Buffer.concat([hero, Buffer.from([i])]))

  const env = {
    ...process.env,
    IMAGE_INVALIDATE: '1',
    IMAGE_INVALIDATE_SITE_URL: site.origin,
    IMAGE_INVALIDATE_API_URL: api.origin,
    VERCEL_TOKEN: 'demo-token',
    VERCEL_PROJECT_ID: 'prj_demo',
  }
  const build = (/** @type {string} */ id) =>
    run([vite, 'build'], { cwd: dir, env: { ...env, VERCEL_DEPLOYMENT_ID: id }, show: (line) => line.includes('[image-invalidate]') })

  say(`1. First build (dpl_demo_1). The site at ${site.origin} serves nothing yet: a first deploy.`)
  if ((await build('dpl_demo_1')) !== 0) throw new Error('the first build failed')
  await rename(path.join(dir, 'dist'), path.join(dir, 'live-1'))
  site.serve(path.join(dir, 'live-1'))
  api.setDeployment('dpl_demo_1', { readyState: 'READY', aliasAssigned: true, url: site.origin })
  api.setProduction('dpl_demo_1')
  console.log('  deployed: the site now serves build dpl_demo_1')

  say('2. Change hero.png and ten gallery photos, delete avatar.png, rename "my photo.png", add new.png, touch mark.svg; build again.')
  await appendFile(path.join(dir, 'public/images/hero.png'), Buffer.from([0]))
  for (let i = 1; i <= 10; i++) await appendFile(path.join(dir, `public/gallery/photo-${String(i).padStart(2, '0')}.png`), Buffer.from([0]))
  await rm(path.join(dir, 'public/avatar.png'))
  await rename(path.join(dir, 'public/images/my photo.png'), path.join(dir, 'public/images/my picture.png'))
  await appendFile(path.join(dir, 'public/images/new.png'), hero)
  await utimes(path.join(dir, 'public/icons/mark.svg'), new Date(), new Date(Date.now() + 60_000))
  if ((await build('dpl_demo_2')) !== 0) throw new Error('the second build failed')
  const plan = JSON.parse(await readFile(path.join(dir, 'node_modules/.cache/unplugin-image-invalidate/plan.json'), 'utf8'))
  console.log(`  planned (${plan.plan.srcImages.length}):`)
  for (const src of plan.plan.srcImages) console.log(`    ${src}`)
  // What is left out, and why: read from the two manifests, as the plugin compared them.
  const live = JSON.parse(await readFile(path.join(dir, 'live-1/_image-invalidate.json'), 'utf8'))
  console.log('  not planned:')
  for (const [key, { hash }] of Object.entries(plan.images)) {
    if (!live.images[key]) console.log(`    ${key}: added: the live deployment has no variant of it to cache`)
    else if (live.images[key].hash === hash && key === '/icons/mark.svg')
      console.log(`    ${key}: touched, but its bytes are the same, so its cached variants are still right`)
  }

  say(
    '3. `image-invalidate apply`: it watches production through the API (and reads the site, to see what was live before), ' +
      'sends nothing before the new deployment is live, then sends what changed at the flip. Promoting it in 3 s.',
  )
  api.setDeployment('dpl_demo_2', { readyState: 'READY', aliasAssigned: false })
  site.promoteIn(3_000, path.join(dir, 'dist'))
  setTimeout(() => {
    api.setProduction('dpl_demo_2')
    console.log('  promoted: the site now serves build dpl_demo_2')
  }, 3_000)
  code = await run([cli, 'apply'], { cwd: dir, env })

  say('4. What the Vercel API stand-in received:')
  for (const [i, call] of api.invalidations().entries()) {
    const { srcImages } = /** @type {{ srcImages: string[] }} */ (call.body)
    console.log(
      `  call ${i + 1}: ${call.method} ${call.path}?projectIdOrName=${call.query.projectIdOrName} -> ${call.status}, ${srcImages.length} source images`,
    )
    for (const src of srcImages) console.log(`    ${src}`)
  }
  const polls = site.requests.filter((request) => request.url.startsWith('/_image-invalidate.json')).length
  const added = api.invalidated.filter((src) => !plan.plan.srcImages.includes(src))
  console.log(`\n  ${api.invalidated.length} source images invalidated in ${api.invalidations().length} calls, after ${polls} live checks; exit code ${code}:`)
  console.log(`  the ${plan.plan.srcImages.length} changed or removed ones of the plan, and the ${added.length} added ones (${added.join(', ')}):`)
  console.log('  a flip sends added names too, since a name can come back (a rollback, a re-added file) with variants of other bytes cached')
} finally {
  await api.close()
  await site.close()
  await rm(dir, { recursive: true, force: true })
}
process.exitCode = code
