// @ts-check
/**
 * Holds the API stand-in to what the real API can send: each body it answers is parsed with the inbound
 * schema `@vercel/sdk` (Vercel's own client) uses for that endpoint. Those schemas are lenient by design:
 * they fill a missing required string with "", coerce other types and take unknown enum values, counting
 * each such repair, and they drop keys they do not know. So a body passes only when it parses, nothing was
 * repaired (the SDK's own counter), and no key was dropped (every key is one the SDK's types declare).
 */
import { CreateProjectEnvRequest$outboundSchema, CreateProjectEnvResponseBody$inboundSchema } from '@vercel/sdk/models/createprojectenvop.js'
import { CreateWebhookRequest$outboundSchema, CreateWebhookResponseBody$inboundSchema } from '@vercel/sdk/models/createwebhookop.js'
import { DeleteWebhookRequest$outboundSchema } from '@vercel/sdk/models/deletewebhookop.js'
import { FilterProjectEnvsRequest$outboundSchema, FilterProjectEnvsResponseBody$inboundSchema } from '@vercel/sdk/models/filterprojectenvsop.js'
import { GetDeploymentResponseBody2$inboundSchema } from '@vercel/sdk/models/getdeploymentresponsebody1.js'
import { GetWebhooksRequest$outboundSchema, GetWebhooksResponseBody$inboundSchema } from '@vercel/sdk/models/getwebhooksop.js'
import { GetProjectResponseBody$inboundSchema } from '@vercel/sdk/models/getprojectresponsebody.js'
import { startCountingUnrecognized } from '@vercel/sdk/types/unrecognized.js'

/** The inbound schema of each endpoint the stand-in answers with a body; the deployment in its full (owner's) view. */
const SCHEMAS = {
  'GET /v9/projects/{idOrName}': GetProjectResponseBody$inboundSchema,
  'GET /v13/deployments/{idOrUrl}': GetDeploymentResponseBody2$inboundSchema,
  'GET /v1/webhooks': GetWebhooksResponseBody$inboundSchema,
  'POST /v1/webhooks': CreateWebhookResponseBody$inboundSchema,
  'GET /v10/projects/{idOrName}/env': FilterProjectEnvsResponseBody$inboundSchema,
  'POST /v10/projects/{idOrName}/env': CreateProjectEnvResponseBody$inboundSchema,
}

/**
 * The outbound schema of each request the stand-in checks: the SDK's whole request (path parameters,
 * query and `requestBody`), which is what the SDK itself can send.
 */
const REQUEST_SCHEMAS = {
  'GET /v1/webhooks': GetWebhooksRequest$outboundSchema,
  'POST /v1/webhooks': CreateWebhookRequest$outboundSchema,
  'DELETE /v1/webhooks/{id}': DeleteWebhookRequest$outboundSchema,
  'GET /v10/projects/{idOrName}/env': FilterProjectEnvsRequest$outboundSchema,
  'POST /v10/projects/{idOrName}/env': CreateProjectEnvRequest$outboundSchema,
}

/**
 * What in a request the SDK could not have sent: a parameter or a body field it does not know (the
 * outbound schemas drop unknown keys, so a dropped key is one), a missing required one, a value of the
 * wrong type or outside an enum. An empty list when nothing.
 * @param {keyof typeof REQUEST_SCHEMAS} endpoint
 * @param {{ params: Record<string, string>, query: Record<string, string>, body?: unknown }} request
 * @returns {string[]}
 */
export function sdkRequestProblems(endpoint, { params, query, body }) {
  const input = body === undefined ? { ...params, ...query } : { ...params, ...query, requestBody: body }
  const parsed = REQUEST_SCHEMAS[endpoint].safeParse(input)
  if (!parsed.success) return parsed.error.issues.slice(0, 10).map((issue) => `${endpoint} request: ${issue.path.join('.') || '(request)'}: ${issue.message}`)
  // The SDK sends the body under `RequestBody`; the rest keeps its name.
  const { RequestBody: sentBody, ...sent } = /** @type {Record<string, unknown>} */ (parsed.data)
  const dropped = [...droppedKeys({ ...params, ...query }, sent, ''), ...(body === undefined ? [] : droppedKeys(body, sentBody, 'body'))]
  return dropped.map((key) => `${endpoint} request: ${key} is not a parameter or field the SDK sends`)
}

/**
 * What in `body` the real API could not send as the answer of `endpoint`: an empty list when nothing.
 * @param {keyof typeof SCHEMAS} endpoint
 * @param {unknown} body
 * @returns {string[]}
 */
export function sdkSchemaProblems(endpoint, body) {
  const counter = startCountingUnrecognized()
  const parsed = SCHEMAS[endpoint].safeParse(body)
  const repaired = counter.end()
  if (!parsed.success) return parsed.error.issues.slice(0, 10).map((issue) => `${endpoint}: ${issue.path.join('.') || '(body)'}: ${issue.message}`)
  const problems = droppedKeys(body, parsed.data, '').map((key) => `${endpoint}: ${key} is not a field of the SDK's type`)
  if (repaired > 0)
    problems.push(
      `${endpoint}: the SDK had to fill in or coerce ${repaired} value(s): a required field is missing, or a value has the wrong type or an unknown enum value`,
    )
  return problems
}

/**
 * Keys of `input` that the parse dropped, as dotted paths.
 * @param {unknown} input
 * @param {unknown} output
 * @param {string} at
 * @returns {string[]}
 */
function droppedKeys(input, output, at) {
  if (Array.isArray(input) && Array.isArray(output)) return input.flatMap((item, index) => droppedKeys(item, output[index], `${at}[${index}]`))
  if (!isRecord(input) || !isRecord(output)) return []
  return Object.keys(input).flatMap((key) => {
    const path = at ? `${at}.${key}` : key
    return key in output ? droppedKeys(input[key], output[key], path) : [path]
  })
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
