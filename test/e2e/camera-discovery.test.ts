/**
 * The police camera page's section "Thiết bị ONVIF chưa có trong danh mục" in Chromium: a
 * stand-in camera answering WS-Discovery that no commune file names is listed with its address,
 * maker and model; the commune's own camera, which answers too, is not.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraCommune, startCameraCommune, userOf } from '../fixtures/camera-commune.ts';
import { launchBrowser, signIn } from '../setup/browser.ts';
import { type OnvifCameraStandIn, startOnvifCamera } from '../standins/onvif-camera.ts';

const SHOTS = join(tmpdir(), 'canhxa-cameras-shots');

let commune: CameraCommune;
let browser: Browser;
let stranger: OnvifCameraStandIn;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stranger = await startOnvifCamera({ discoverable: true });
  [commune, browser] = await Promise.all([
    startCameraCommune([{ id: 'cam-cong', name: 'Camera cổng UBND', discoverable: true }]),
    launchBrowser(),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await commune?.stop();
  await stranger?.stop();
});

describe('ONVIF devices not in the inventory, on the police camera page', () => {
  it('lists the camera nobody watches, not the commune’s own', async () => {
    const { page, errors } = await signIn(browser, commune.app, userOf('police'));
    await page.click('.nav [data-nav="cameras"]');
    await page.waitForSelector('.onvif-discovery[data-loaded="true"]', { timeout: 30_000 });
    const listed = page.locator(`.onvif-unlisted li[data-endpoint="${stranger.discoveryEndpoint}"]`);
    expect(await listed.textContent()).toContain(`127.0.0.1:${stranger.port}`);
    expect(await listed.textContent()).toContain('HIKVISION');
    const own = commune.cameras.get('cam-cong')!.discoveryEndpoint!;
    expect(await page.locator(`.onvif-unlisted li[data-endpoint="${own}"]`).count()).toBe(0);
    expect(await page.locator('.onvif-discovery h2').textContent()).toBe(
      'Thiết bị ONVIF chưa có trong danh mục',
    );
    await page.screenshot({ path: join(SHOTS, 'cameras-discovery.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});
