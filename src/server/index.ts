export * from './errors.js';
export * from './middleware.js';
export * from './reward-app.js';
export * from './reward-server.js';
export * from './listen.js';
export * from './tools-app.js';
export * from './tools-server.js';
export * from './mcp.js';
