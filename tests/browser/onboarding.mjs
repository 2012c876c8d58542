// Onboarding a partner in headless Chromium (Debian's), driven by playwright-core: an admin
// signs in, creates an X12 partner from the acme sample with the "New partner" form, uploads
// its SFTP public key, runs a dry run of a test file (the verdict first), then — once the Rust
// test has uploaded a real 850 over SFTP with that key — sees the message on the partner's page.
// Run by tests/it/browser.rs:
//   node onboarding.mjs BASE_URL SCREENSHOT_DIR PUBLIC_KEY_FILE TEST_FILE
// It prints `upload now` and waits for a line on standard input before looking for the message.
// Any failed check throws: the exit status is what the Rust test asserts.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const [base, shots, publicKey, testFile] = process.argv.slice(2);
const password = process.env.WHARF_TEST_PASSWORD;
const check = (ok, what) => { if (!ok) throw new Error(`check failed: ${what}`); };
const shot = (page, name) => page.screenshot({ path: `${shots}/onboarding-${name}.png`, fullPage: true });
const step = async (page, name) => (await page.textContent(`tr[data-step="${name}"] .state`)).trim();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/admin/signin`);
  await page.fill('input[name=user]', 'root');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/admin`);

  // The "New partner" form on the partners list.
  await page.click('header a[href="/admin/partners"]');
  await page.fill('#new-id', 'shopco');
  await page.fill('#new-name', 'ShopCo Retail');
  await page.selectOption('#new-template', 'acme');
  await page.fill('#new-interchange-id', 'SHOPCO');
  await shot(page, 'new-form');
  await page.click('#new-create');
  await page.waitForURL(/\/admin\/partners\/shopco\?done=/);
  check((await page.textContent('h1')).includes('ShopCo Retail'), 'the new partner page');
  check((await page.textContent('[role=status]')).includes('partner created'), 'created notice');
  check(await step(page, 'Identity') === 'ok', 'identity ok');
  check(await step(page, 'SFTP credentials') === 'missing', 'no SFTP key yet');
  check(await step(page, 'Test file') === 'missing', 'no dry run yet');
  check((await page.textContent('#sftp-host-key')).includes('SHA256:'), 'host key fingerprint shown');
  await shot(page, 'created');

  // A key that is not one is refused with the reason; the real one is taken.
  await page.fill('#sftp-key-text', 'ssh-ed25519 not-a-key');
  await page.click('#sftp-key-add');
  check((await page.textContent('main')).includes('not an OpenSSH public key'), 'a bad key refused precisely');
  await shot(page, 'bad-key');
  await page.goto(`${base}/admin/partners/shopco`);
  await page.setInputFiles('#sftp-key-file', publicKey);
  await page.click('#sftp-key-add');
  await page.waitForURL(/\/admin\/partners\/shopco\?done=/);
  check(await step(page, 'SFTP credentials') === 'ok', 'the key is in the profile');
  check((await page.textContent('tr[data-step="SFTP credentials"]')).includes('1 public key'), 'one key');
  await shot(page, 'key-added');

  // The dry run of a test file: its verdict in plain words before any detail.
  await page.setInputFiles('form[action$="/test"] input[type=file]', testFile);
  await page.click('form[action$="/test"] button[type=submit]');
  await page.waitForURL(/\/admin\/partners\/shopco\/test/);
  const verdict = (await page.textContent('#verdict')).trim();
  check(verdict === 'Would create sale order PO-DRY-1 for SHOPCO with 2 lines', `verdict: ${verdict}`);
  check(await page.locator('h1 + #verdict').count() === 1, 'the verdict comes first');
  await shot(page, 'dry-run');
  await page.goto(`${base}/admin/partners/shopco`);
  check(await step(page, 'Test file') === 'ok', 'the dry run passed');

  // The partner drops a real order over SFTP (the Rust test does), and it shows up here.
  console.log('upload now');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) { if (line.trim() === 'uploaded') break; }
  // Standard input no longer keeps the process alive once the test has spoken.
  lines.close();
  process.stdin.destroy();
  let rows = 0;
  for (let i = 0; i < 100 && rows === 0; i++) {
    await page.reload();
    rows = await page.locator('tr', { hasText: 'PO-ONBOARD-1' }).count();
    if (rows === 0) await page.waitForTimeout(200);
  }
  check(rows === 1, 'the first message is on the partner page');
  await shot(page, 'first-message');
  console.log('browser checks passed');
} finally {
  await browser.close();
}
