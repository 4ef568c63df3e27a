import { ZaloStandIn } from '../standins/zalo.ts';
import { notifierConformance } from './notifier.suite.ts';

notifierConformance('zalo', async () => {
  const api = new ZaloStandIn();
  const url = await api.start();
  return {
    config: { apiUrl: url, tokenRef: 'zalo-oa', templateId: '312345' },
    secrets: { 'zalo-oa': api.token },
    target: { address: '+84912345678', username: 'kythuat.a' },
    received: () => api.sent.map((m) => String(m.data.content)),
    misbehave: (mode) => {
      api.mode = mode;
    },
    stop: () => api.stop(),
  };
});

// The same contract on refreshed tokens (OAuth v4 against the stand-in).
notifierConformance('zalo', async () => {
  const api = new ZaloStandIn();
  const url = await api.start();
  return {
    config: {
      apiUrl: url,
      templateId: '312345',
      oauth: {
        url: `${url}/v4/oa/access_token`,
        appId: api.appId,
        secretKeyRef: 'zalo-app-secret',
        refreshTokenRef: 'zalo-refresh',
      },
    },
    secrets: { 'zalo-app-secret': api.secretKey, 'zalo-refresh': api.refreshToken },
    target: { address: '+84912345678', username: 'kythuat.a' },
    received: () => api.sent.map((m) => String(m.data.content)),
    misbehave: (mode) => {
      api.mode = mode;
    },
    stop: () => api.stop(),
  };
});
