import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { formatBytes } from '../format.ts';

interface ImageRow { Id: string; RepoTags: string[] | null; Size: number; Containers: number }
interface VolumeRow { Name: string; Driver: string; UsageData?: { Size: number; RefCount: number } | null }

/**
 * Images and volumes with their sizes (the Engine API's image list and
 * `system df`), refreshed on demand.
 */
export function ResourcesPanel() {
  const [images, setImages] = useState<ImageRow[] | undefined>();
  const [volumes, setVolumes] = useState<VolumeRow[] | undefined>();
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const load = async (): Promise<void> => {
    setLoading(true);
    try {
      const [imgs, df] = await Promise.all([
        api<ImageRow[]>('GET', '/images/json'),
        api<{ Volumes: VolumeRow[] | null }>('GET', '/system/df'),
      ]);
      setImages(imgs);
      setVolumes(df.Volumes ?? []);
      setError('');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(); }, []);
  return (
    <section class="resources" aria-labelledby="resources-title">
      <div class="section-head">
        <h2 id="resources-title">Images and volumes</h2>
        <button type="button" onClick={() => void load()} disabled={loading}>{loading ? 'Refreshing…' : 'Refresh'}</button>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}
      <table>
        <caption>Images</caption>
        <thead><tr><th scope="col">Repository:tag</th><th scope="col">ID</th><th scope="col">Size</th></tr></thead>
        <tbody>
          {(images ?? []).map((i) => (
            <tr key={i.Id}><td>{(i.RepoTags ?? []).join(', ') || '<none>'}</td><td class="mono">{i.Id.replace('sha256:', '').slice(0, 12)}</td><td>{formatBytes(i.Size)}</td></tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Volumes</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Driver</th><th scope="col">Size</th><th scope="col">Used by</th></tr></thead>
        <tbody>
          {(volumes ?? []).map((v) => (
            <tr key={v.Name}><td class="mono">{v.Name}</td><td>{v.Driver}</td><td>{v.UsageData && v.UsageData.Size >= 0 ? formatBytes(v.UsageData.Size) : '–'}</td><td>{v.UsageData?.RefCount ?? '–'}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
