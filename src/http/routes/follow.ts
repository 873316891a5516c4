import { Router } from 'express';
import type { AppDeps } from '../app.ts';
export function followRoutes(_deps: AppDeps): Router { return Router(); }
