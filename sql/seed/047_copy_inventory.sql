-- The batch's products' inventory rows, copied after them (046): all of each product's stock in
-- warehouse 'main', as the upsert path writes it (045). Inventory's key to products is checked
-- here row by row, unless 041 set it aside to be checked once after the load (048).
COPY public.inventory (product_id, warehouse, quantity) FROM STDIN
