/**
 * The dashboard page in a real browser: Debian's Chromium, driven by
 * playwright-core (no browser download). A backend flips and the page must show
 * it; the time from setStatus to the changed DOM is measured.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from '../../src/index.js';
import { startDashboardHttp } from '../../src/dashboard/dashboard-http.js';
import { FleetWatcher } from '../../src/dashboard/fleet-watcher.js';
import { parseTarget } from '../../src/dashboard/targets.js';
import { within } from '../helpers.js';
import { CHROMIUM, haveChromium, launchChromium } from './chromium.js';
import { startFleet } from './fleet-backends.js';

// In CI the browser is installed by .ci/run, so its absence is a failure there.
const skip = !haveChromium() && !process.env.CI ? `no browser at ${CHROMIUM}` : false;

describe('dashboard page in Chromium', { timeout: 60_000, skip }, () => {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('shows the fleet and a flip within moments, in words as well as colour', async () => {
    const fleet = await startFleet(['127.0.0.2', '127.0.0.3'], (health) => health.setStatus('orders.Orders', 'SERVING'));
    cleanup.push(fleet.stop);
    const watcher = new FleetWatcher({
      targets: [parseTarget(`dns:///orders.test:${fleet.port}`)],
      services: ['', 'orders.Orders'],
      lookup: async () => fleet.backends.map((b) => b.host),
      clientFor: ({ address }) => new HealthClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
      rttIntervalMs: 200,
    });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const http = await startDashboardHttp(watcher.state, { port: 0 });
    cleanup.push(() => http.close());

    const browser = await launchChromium();
    cleanup.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1100, height: 420 } });
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    await page.goto(http.url);

    const [first, second] = fleet.backends;
    const cell = (address: string, service: string) => `tr[data-backend="${address}"] td[data-service="${service}"]`;
    await page.waitForSelector(`${cell(first!.address, 'orders.Orders')}[data-status="SERVING"]`, { timeout: 10_000 });
    await page.waitForSelector(`${cell(second!.address, 'orders.Orders')}[data-status="SERVING"]`, { timeout: 10_000 });
    assert.equal(await page.textContent('#live'), 'live');

    const started = performance.now();
    first!.health.setStatus('orders.Orders', 'NOT_SERVING');
    await page.waitForSelector(`${cell(first!.address, 'orders.Orders')}[data-status="NOT_SERVING"]`, { timeout: 5000 });
    const latencyMs = performance.now() - started;
    console.log(`setStatus -> DOM: ${latencyMs.toFixed(1)} ms`);
    assert.ok(latencyMs < 2000, `the page showed the flip after ${latencyMs} ms`);

    // Readable without colour: the status is written out, and the counts say it too.
    assert.match((await page.textContent(cell(first!.address, 'orders.Orders')))!, /NOT_SERVING/);
    assert.match((await page.textContent('[data-count="NOT_SERVING"]'))!, /NOT_SERVING: 1/);
    assert.match((await page.textContent(`tr[data-backend="${first!.address}"] td.timeline`))!, /orders\.Orders: SERVING → NOT_SERVING/);

    await page.selectOption('#only', 'unhealthy');
    assert.equal(await page.isVisible(`tr[data-backend="${first!.address}"]`), true);
    assert.equal(await page.isVisible(`tr[data-backend="${second!.address}"]`), false);
    await page.selectOption('#only', 'all');
    await page.fill('#filter', '127.0.0.3');
    assert.equal(await page.isVisible(`tr[data-backend="${first!.address}"]`), false);
    assert.equal(await page.isVisible(`tr[data-backend="${second!.address}"]`), true);
    await page.fill('#filter', '');

    // The backend's server goes away: the page says so.
    second!.server.forceShutdown();
    await page.waitForSelector(`${cell(second!.address, '')}[data-status="UNREACHABLE"]`, { timeout: 10_000 });
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });
    assert.deepEqual(failedRequests, [], 'every asset loads from the dashboard itself');
    await within(page.close(), 5000, 'page close');
  });
});
