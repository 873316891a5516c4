import { Router } from 'express';
import type { AppDeps } from '../app.ts';
export function searchRoutes(_deps: AppDeps): Router { return Router(); }
