import { Table } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty } from './ui.tsx';

export interface Column<T> {
  label: string;
  render: (row: T) => ReactNode;
}

/** A scrollable table with an empty state. */
export function DataTable<T>({ rows, columns, label, empty, rowKey }: { rows: T[]; columns: Column<T>[]; label: string; empty: string; rowKey: (row: T) => string }) {
  if (rows.length === 0) return <Empty title={empty} />;
  return (
    <div className="table-scroll">
      <Table striped highlightOnHover aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c.label}>{c.label}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={rowKey(r)}>
              {columns.map((c) => (
                <Table.Td key={c.label}>{c.render(r)}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}
