export const binsDir = undefined; export const notInstalled = true;
