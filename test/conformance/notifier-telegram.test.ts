import { TelegramStandIn } from '../standins/telegram.ts';
import { notifierConformance } from './notifier.suite.ts';

notifierConformance('telegram', async () => {
  const api = new TelegramStandIn();
  const url = await api.start();
  return {
    config: { apiUrl: url, tokenRef: 'telegram-bot' },
    secrets: { 'telegram-bot': api.token },
    target: { address: '111', username: 'kythuat.a' },
    received: () => api.sent.map((m) => m.text),
    misbehave: (mode) => {
      api.mode = mode;
    },
    stop: () => api.stop(),
  };
});
