// The admin pages in headless Chromium (Debian's), driven by playwright-core: an admin signs
// in, finds a message by its PO number, opens it, retries it (the delivered order then reads
// as tables), looks at the quarantine and at a partner's failing collection, chooses a time
// zone, edits a profile (a valid edit saved and shown, an invalid one refused with its error
// on the page), and signs out.
// Screenshots of the main pages go to the folder given. Run by tests/browser.rs:
//   node admin.mjs BASE_URL MESSAGE_ID PO SCREENSHOT_DIR
// Any failed check throws: the exit status is what the Rust test asserts.
import { chromium } from 'playwright-core';

const [base, id, po, shots] = process.argv.slice(2);
const password = process.env.WHARF_TEST_PASSWORD;
const check = (ok, what) => { if (!ok) throw new Error(`check failed: ${what}`); };
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

  // Sign in: an anonymous visit lands on the form.
  await page.goto(`${base}/admin`);
  check(page.url().startsWith(`${base}/admin/signin`), `redirected to sign-in, at ${page.url()}`);
  await shot(page, 'signin');
  await page.fill('input[name=user]', 'root');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/admin`);
  check((await page.textContent('#who')).includes('root (admin)'), 'signed in as root');
  await shot(page, 'dashboard');

  await page.click('header a[href="/admin/dead"]');
  check((await page.textContent('main')).includes('Retry all 1'), 'one dead letter');
  await shot(page, 'dead-letters');

  // Find the message by its PO number.
  await page.click('header a[href="/admin/messages"]');
  await page.fill('input[name=reference]', po);
  await page.click('form.search button[type=submit]');
  const link = page.locator(`#results a[href="/admin/messages/${id}"]`);
  check(await link.count() === 1, `message ${id} found by ${po}`);
  check(await page.locator('#results tbody tr').count() === 1, 'only that message');
  await shot(page, 'messages');

  // Open it: the raw segments, the dead job.
  await link.click();
  await page.waitForURL(`${base}/admin/messages/${id}`);
  check((await page.textContent('#raw')).includes(`BEG*00*SA*${po}`), 'raw segments shown');
  check((await page.textContent('#state')).trim() === 'failed', 'failed before the retry');
  await shot(page, 'message');

  // Retry it, confirmed on its own page.
  await page.click(`a[href="/admin/messages/${id}/retry"]`);
  await shot(page, 'confirm-retry');
  await page.click('#confirm');
  await page.waitForURL(/done=/);
  check((await page.textContent('[role=status]')).includes('queued again'), 'retry confirmed');
  let state = '';
  for (let i = 0; i < 100 && state !== 'delivered'; i++) {
    await page.waitForTimeout(200);
    await page.reload();
    state = (await page.textContent('#state')).trim();
  }
  check(state === 'delivered', `delivered after the retry (state ${state})`);
  await shot(page, 'message-retried');

  // The order as tables: its lines, and the planned change in the ERP.
  check(await page.locator('#canonical table.lines tbody tr').count() === 2, 'two order lines in a table');
  check((await page.textContent('#canonical table.lines')).includes('ACME-001'), 'the item id in the lines');
  check((await page.textContent('#plan')).includes('sale.order'), 'the plan names sale.order');
  check(!(await page.isVisible('#canonical-json')), 'the JSON folded away');
  await page.locator('#canonical').screenshot({ path: `${shots}/order-tables.png` });

  // Quarantine: the stranger's order, with its sender and a Release.
  await page.click('header a[href="/admin/quarantine"]');
  const held = await page.textContent('#quarantine tbody');
  check(held.includes('ZZ/STRANGER') && held.includes('unknown sender'), 'the stranger quarantined');
  check(await page.locator('#quarantine a.button', { hasText: 'Release' }).count() === 1, 'a Release');
  await shot(page, 'quarantine');

  // Channels: Pinnacle's collection from a closed port, red on the dashboard and its page.
  let failing = 0;
  for (let i = 0; i < 100 && failing === 0; i++) {
    await page.goto(`${base}/admin`);
    failing = await page.locator('#channels tr.failing').count();
    if (failing === 0) await page.waitForTimeout(200);
  }
  check(failing > 0, 'a failing channel on the dashboard');
  check((await page.textContent('#channels tr.failing')).includes('unreachable'), 'its error shown');
  await page.locator('#channels').screenshot({ path: `${shots}/channels.png` });
  await page.goto(`${base}/admin/partners/pinnacle`);
  check(await page.locator('#channels tr.failing').count() > 0, 'failing on the partner page too');
  await shot(page, 'partner-health');

  // A time zone of one's own: the header and the times follow it.
  await page.click('header a#zone');
  await page.selectOption('#zone-select', 'Asia/Kolkata');
  await page.click('#zone-save');
  await page.waitForURL(`${base}/admin/account`);
  check((await page.textContent('header a#zone')).includes('Asia/Kolkata'), 'the zone in the header');
  check((await page.textContent('#now')).includes('IST (+05:30)'), 'times in IST');
  await shot(page, 'account');

  // Edit a profile: a valid edit is saved and shown.
  await page.click('header a[href="/admin/partners"]');
  await shot(page, 'partners');
  await page.click('a[href="/admin/partners/acme"]');
  await page.click('#edit');
  const original = await page.inputValue('#text');
  await page.fill('#text', original.replace('name = "ACME Retail"', 'name = "ACME Retail (browser)"'));
  await page.click('#save');
  await page.waitForURL(/\/admin\/partners\/acme\?done=/);
  check((await page.textContent('h1')).includes('ACME Retail (browser)'), 'new name shown after saving');
  await shot(page, 'partner');

  // An invalid edit is refused, the checker's error on the page, the text kept for fixing.
  await page.click('#edit');
  const saved = await page.inputValue('#text');
  await page.fill('#text', saved.replace('channel = "directory"', 'channel = "carrier-pigeon"'));
  await page.click('#save');
  const error = page.locator('.error').first();
  check(await error.isVisible(), 'an error is shown');
  check((await error.textContent()).includes('carrier-pigeon'), 'the error names the bad value');
  check((await page.inputValue('#text')).includes('carrier-pigeon'), 'the edit is kept for fixing');
  await shot(page, 'partner-edit-refused');

  // Sign out: the pages are closed again.
  await page.click('header form button[type=submit]');
  await page.waitForURL(/\/admin\/signin/);
  await page.goto(`${base}/admin/messages/${id}`);
  check(page.url().startsWith(`${base}/admin/signin`), 'signed out');
  console.log('browser checks passed');
} finally {
  await browser.close();
}
