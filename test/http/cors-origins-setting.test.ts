import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * CORS_ORIGINS set but listing nothing (edges-11): every other empty setting means its default,
 * while `CORS_ORIGINS=` meant "no origin", silently shutting the web apps out in development. It
 * now stops start-up with a message naming the setting and the ways out; `none` says "no origin"
 * on purpose. (Browser behaviour of the list itself: test/http/cors.browser.test.ts.)
 */
describe('CORS_ORIGINS set but empty', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };

  it.each([
    ['empty, in development', { CORS_ORIGINS: '' }, 'the default (http://localhost:*, http://127.0.0.1:*)'],
    ['only spaces and commas, in development', { CORS_ORIGINS: ' , ,' }, 'the default (http://localhost:*, http://127.0.0.1:*)'],
    ['empty, in production', { ...production, CORS_ORIGINS: ' ' }, 'the default (no origin)'],
  ])('%s stops start-up naming the setting', (_name, env, fallback) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(
      `CORS_ORIGINS is set but lists no origin: unset it for ${fallback}, list origins such as https://app.example.com, or write CORS_ORIGINS=none to allow no browser origin`,
    );
  });

  it('"none" allows no origin, unset is the default, and a list is taken as written', () => {
    expect(loadConfig({ CORS_ORIGINS: 'none' }).corsOrigins).toEqual([]);
    expect(loadConfig({ ...production, CORS_ORIGINS: ' none ' }).corsOrigins).toEqual([]);
    expect(loadConfig({}).corsOrigins).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
    expect(loadConfig(production).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:*' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:*']);
    // "none" is a word of its own, not an origin of a list
    expect(() => loadConfig({ CORS_ORIGINS: 'none,https://app.example.com' })).toThrow('CORS_ORIGINS must list origins like https://app.example.com or http://localhost:*, got "none"');
  });
});
