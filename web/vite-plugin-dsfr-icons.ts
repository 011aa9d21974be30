// Vite plugin: serves a reduced DSFR icon stylesheet holding only the icons the portal uses.
//
// The stock `@codegouvfr/react-dsfr/dsfr/utility/icons/icons.min.css` declares ~3,900 icons, each
// pointing at its own SVG file; bundling it as is would inline or emit all of them. The package's
// `only-include-used-icons` script solves this by rewriting files inside node_modules, which a
// fresh `npm ci` undoes. Instead, when the portal imports that stylesheet, this plugin answers with
// CSS generated on the fly from the package's `icons.json`, for the icon classes found in
// web/src and in react-dsfr's own components. The SVGs are then bundled by Vite like any other
// asset: no network, no public/ copy, nothing written outside web/dist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const ICONS_CSS_SUFFIX = '/@codegouvfr/react-dsfr/dsfr/utility/icons/icons.min.css';
const ICON_CLASS = /\b(fr-icon-[a-z0-9-]+|ri-[a-z0-9-]+)/g;

interface IconEntry {
  iconId: string;
  prefix: 'fr-icon-' | 'ri-';
  svgRelativePath?: string;
}

function* walk(dir: string, skip: (path: string) => boolean): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip(path)) continue;
    if (statSync(path).isDirectory()) yield* walk(path, skip);
    else yield path;
  }
}

function usedClassNames(srcDir: string, dsfrDir: string): Set<string> {
  const found = new Set<string>();
  const scan = (file: string) => {
    for (const m of readFileSync(file, 'utf8').matchAll(ICON_CLASS)) found.add(m[1]!);
  };
  for (const file of walk(srcDir, () => false)) if (/\.(tsx?|jsx?|html)$/.test(file)) scan(file);
  // react-dsfr components reference a few icons themselves (display settings, breadcrumb...).
  // Skip the vendored DSFR, the TS sources and the generated list of every class name.
  const skip = (p: string) =>
    p === join(dsfrDir, 'dsfr') ||
    p === join(dsfrDir, 'src') ||
    p === join(dsfrDir, 'bin') ||
    p.endsWith('generatedFromCss');
  for (const file of walk(dsfrDir, skip)) if (file.endsWith('.js')) scan(file);
  return found;
}

function rule(selector: string, url: string): string {
  return `${selector}::before,${selector}::after{-webkit-mask-image:url("${url}");mask-image:url("${url}")}`;
}

export function generateIconsCss(srcDir: string, dsfrDir: string): { css: string; count: number } {
  const iconsDir = join(dsfrDir, 'dsfr', 'utility', 'icons');
  const catalogue = JSON.parse(readFileSync(join(iconsDir, 'icons.json'), 'utf8')) as IconEntry[];
  const used = usedClassNames(srcDir, dsfrDir);
  const rules: string[] = [];
  let remix = false;
  for (const icon of catalogue) {
    const className = `${icon.prefix}${icon.iconId}`;
    if (!used.has(className)) continue;
    if (icon.prefix === 'fr-icon-' && icon.svgRelativePath) {
      rules.push(rule(`.${className}`, icon.svgRelativePath));
    } else if (icon.prefix === 'ri-') {
      remix = true;
      rules.push(rule(`.${className}`, `../../icons/remixicon/${icon.iconId}.svg`));
    }
  }
  // Remix icons need the compatibility rules shipped next to the catalogue.
  if (remix) rules.push(readFileSync(join(iconsDir, 'dsfr_remixicon.css'), 'utf8'));
  return { css: rules.join('\n'), count: rules.length - (remix ? 1 : 0) };
}

export function dsfrUsedIcons(options: { srcDir: string }): Plugin {
  const require = createRequire(import.meta.url);
  const dsfrDir = dirname(require.resolve('@codegouvfr/react-dsfr/package.json'));
  return {
    name: 'cartes:dsfr-used-icons',
    enforce: 'pre',
    load(id) {
      const path = id.split('?')[0]!.replaceAll('\\', '/');
      if (!path.endsWith(ICONS_CSS_SUFFIX)) return null;
      // Relative SVG URLs resolve against this id, i.e. the real stylesheet's directory.
      const { css } = generateIconsCss(options.srcDir, dsfrDir);
      return css;
    },
    handleHotUpdate(ctx) {
      // An icon class may have appeared in the sources: refresh the stylesheet too.
      if (!ctx.file.startsWith(options.srcDir)) return;
      const icons = [...ctx.server.moduleGraph.idToModuleMap.values()].filter((m) =>
        m.id?.split('?')[0]!.replaceAll('\\', '/').endsWith(ICONS_CSS_SUFFIX),
      );
      for (const m of icons) ctx.server.moduleGraph.invalidateModule(m);
      return [...ctx.modules, ...icons];
    },
  };
}
