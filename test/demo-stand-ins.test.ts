// @module-tag floor
import { afterEach, expect, it } from 'vitest'
import { startDemoApi, type DemoApi } from '../src/demo/stand-ins.js'
import { sdkSchemaProblems } from './stand-ins/vercel-schemas.mjs'

let api: DemoApi | undefined
afterEach(async () => {
  await api?.close()
  api = undefined
})

// The demo ships its own small stand-in for Vercel's API: what it answers must be what the real API could
// send, as @vercel/sdk's schemas say, or the demo would show a package working against an API that is not there.
it("the demo's API stand-in answers with bodies @vercel/sdk's schemas accept, and refuses what the real API refuses", async () => {
  api = await startDemoApi({ token: 'demo-token', projectId: 'prj_demo' })
  const get = async (path: string, token = 'demo-token') => {
    const response = await fetch(`${api!.origin}${path}`, { headers: { authorization: `Bearer ${token}` } })
    return { status: response.status, body: (await response.json()) as unknown }
  }
  api.setDeployment('dpl_demo_1', { readyState: 'READY', aliasAssigned: true, url: 'http://127.0.0.1:1' })
  api.setDeployment('dpl_demo_2', { readyState: 'READY', aliasAssigned: false, url: 'http://127.0.0.1:2' })

  const before = await get('/v9/projects/prj_demo')
  expect(before.status).toBe(200)
  expect(sdkSchemaProblems('GET /v9/projects/{idOrName}', before.body)).toEqual([])
  api.promote('dpl_demo_1')
  api.promote('dpl_demo_2')
  const after = await get('/v9/projects/prj_demo')
  expect(sdkSchemaProblems('GET /v9/projects/{idOrName}', after.body)).toEqual([])
  expect(after.body).toMatchObject({
    targets: { production: { id: 'dpl_demo_2' } },
    lastAliasRequest: { fromDeploymentId: 'dpl_demo_1', toDeploymentId: 'dpl_demo_2' },
  })
  const deployment = await get('/v13/deployments/dpl_demo_2')
  expect(sdkSchemaProblems('GET /v13/deployments/{idOrUrl}', deployment.body)).toEqual([])
  expect(deployment.body).toMatchObject({ id: 'dpl_demo_2', readyState: 'READY', aliasAssigned: true })

  expect((await get('/v13/deployments/dpl_other')).status).toBe(404)
  expect((await get('/v9/projects/prj_other')).status).toBe(404)
  expect(await get('/v9/projects/prj_demo', 'wrong')).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } })
  const post = (query: string, body: unknown) =>
    fetch(`${api!.origin}/v1/edge-cache/invalidate-by-src-images?${query}`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  expect((await post('projectIdOrName=prj_demo', { srcImages: ['/a.png'] })).status).toBe(200)
  expect((await post('projectIdOrName=prj_demo', { srcImages: Array.from({ length: 9 }, (_, i) => `/${i}.png`) })).status).toBe(400)
  expect((await post('projectIdOrName=prj_demo', { srcImages: ['/a.png'], extra: 1 })).status).toBe(400)
  expect((await post('projectIdOrName=prj_other', { srcImages: ['/a.png'] })).status).toBe(404)
  expect(api.invalidations.map((call) => call.status)).toEqual([200, 400, 400, 404])
})
