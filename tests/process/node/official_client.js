// Sends email, SMS and GovSG WhatsApp through Open Government Products' own Node client for Postman v1
// (@opengovsg/postmangovsg-client), pointed at postman-sim, then reads them back through the same client.
// Usage: node official_client.js <simulator base URL> <v1 API key>; prints one JSON object.
'use strict'
const { Configuration, EmailApi, SMSApi, GovSGApi, PostmanNodemailerTransport } = require('@opengovsg/postmangovsg-client')
const nodemailer = require('nodemailer') // a dependency of the client, installed with it

const [base, key] = process.argv.slice(2)
const config = new Configuration({ basePath: `${base}/v1`, accessToken: key })
const email = new EmailApi(config)
const sms = new SMSApi(config)
const govsg = new GovSGApi(config)

const pick = (m) => ({ id: m.id, recipient: m.recipient, status: m.status })
const advance = (seconds) => fetch(`${base}/_sim/clock/advance`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ seconds }) })

async function main () {
  const sent = {
    email: (await email.transactionalEmailSendPost({
      subject: 'Hello', body: '<p>Hi Tan</p>', recipient: 'tan@example.gov.sg' })).data,
    sms: (await sms.transactionalSmsSendPost({
      body: 'Your OTP is 123456', recipient: '+6591234567', label: 'otp' })).data,
    govsg: (await govsg.transactionalGovsgSendPost({
      recipient: '+6581234567', template_id: 1001, params: { name: 'Tan', date: '1 May' } })).data
  }
  await advance(30) // the manual clock: let every lifecycle run to its end
  const read = {
    email: (await email.transactionalEmailEmailIdGet(sent.email.id)).data,
    sms: (await sms.transactionalSmsSmsIdGet(sent.sms.id)).data,
    govsg: (await govsg.transactionalGovsgMessageIdGet(sent.govsg.id)).data
  }
  const listed = {
    email: (await email.transactionalEmailGet(10)).data.data.map(pick),
    sms: (await sms.transactionalSmsGet(10)).data.data.map(pick),
    govsg: (await govsg.transactionalGovsgGet(10)).data.data.map(pick)
  }
  // the package's nodemailer transport, given an EmailApi on the simulator (its default is production)
  const mailer = nodemailer.createTransport(new PostmanNodemailerTransport(key, new EmailApi(config)))
  const info = await mailer.sendMail({ to: 'lim@example.gov.sg', subject: 'Launch', html: 'Product <b>launched</b>' })
  const nodemailerSent = { id: info.messageId, status: info.response }
  let refused = null
  try {
    await govsg.transactionalGovsgSendPost({ recipient: '+6580000001', template_id: 1001, params: { name: 'Tan', date: '1 May' } })
  } catch (error) { // the client rejects with axios' error; the API's own body is on error.response
    refused = { status: error.response.status, body: error.response.data }
  }
  const each = (group) => Object.fromEntries(Object.entries(group).map(([k, v]) => [k, pick(v)]))
  console.log(JSON.stringify({ sent: each(sent), read: each(read), listed, nodemailer: nodemailerSent, refused }))
}

main().catch((error) => {
  console.error(error.response ? JSON.stringify([error.response.status, error.response.data]) : error)
  process.exit(1)
})
