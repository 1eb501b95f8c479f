export * from './admin-record';
export * from './status-report';
export * from './report-reasons';
export * from './report-bundle';
export * from './fragment';
export * from './reassemble';
