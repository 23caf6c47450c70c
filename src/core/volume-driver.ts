/** What a volume driver records of one named volume. */
export interface VolumeInfo {
  name: string;
  /** The driver's name (`local`). */
  driver: string;
  /** Where the data lives on the host (docker's Mountpoint). */
  mountpoint: string;
  createdAt: Date;
  labels: Record<string, string>;
  /** Driver options as given at create (`type`, `device`, `o` for the local driver). */
  options: Record<string, string>;
  scope: 'local';
}

/**
 * Named volumes: data that outlives containers. Lifecycle: `create` →
 * (`mount` → `unmount`)* → `remove`. A volume is in use between a `mount`
 * and its `unmount` (counted per user, e.g. per container ID); `remove`
 * refuses a volume in use unless forced. State is durable: volumes, their
 * options and their data survive daemon restarts.
 */
export interface VolumeDriver {
  readonly name: string;
  /**
   * Creates a volume. Creating an existing name with the same options
   * returns it unchanged (docker's behaviour); with other options it is a
   * Conflict. InvalidArgument for a bad name or an unknown option.
   */
  create(name: string, options?: { labels?: Record<string, string>; driverOptions?: Record<string, string> }): Promise<VolumeInfo>;
  /** NotFound when absent. */
  get(name: string): Promise<VolumeInfo>;
  list(): Promise<VolumeInfo[]>;
  /** Makes the volume's data available for `user` and returns its host path. */
  mount(name: string, user: string): Promise<string>;
  /** Ends `user`'s use; the last user's unmount undoes any mount the driver made. */
  unmount(name: string, user: string): Promise<void>;
  /** Users holding the volume now. */
  users(name: string): Promise<string[]>;
  /** Deletes a volume and its data. Conflict while in use unless `force`. NotFound when absent. */
  remove(name: string, options?: { force?: boolean }): Promise<void>;
  /** Bytes used by the volume's data (-1 when the driver cannot tell, e.g. a remote mount). */
  usage(name: string): Promise<number>;
}
