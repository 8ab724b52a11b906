/** The dock's panels, in tab order. */
export type LabTab = 'data' | 'train' | 'evaluate' | 'export' | 'runs';
