export * from './key-ring';
export * from './envelope';
export * from './passwords';
export * from './tokens';
export * from './crypto.module';
